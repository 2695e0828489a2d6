import { useEffect, useRef, useState } from 'preact/hooks';
import JsSIP from 'jssip';
import { html } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';

/**
 * The agent workspace's browser phone (docs/webrtc.md): JsSIP over the console's SIP WebSocket, registered with
 * credentials the console session derives (POST /console/api/phone/credentials; no SIP password is typed or kept).
 * Media is WebRTC to tongdai itself (G.711 only), so no media server sits in between.
 */

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
const store = {
  get: (k, d) => localStorage.getItem(`td.phone.${k}`) ?? d,
  set: (k, v) => localStorage.setItem(`td.phone.${k}`, v),
};

/** A short two-tone ring from WebAudio (no audio file to serve), repeated until stopped. */
function ringer() {
  let ctx = null;
  let timer = null;
  const beep = () => {
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = 480;
    g.gain.value = 0.08;
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.8);
  };
  return {
    start() {
      if (timer) return;
      ctx ??= new AudioContext();
      beep();
      timer = setInterval(beep, 3000);
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
}

/** RMS level (0..1) and dominant frequency (Hz) of a stream, read each animation frame. */
function analyse(stream, onLevel) {
  const ctx = new AudioContext();
  const src = ctx.createMediaStreamSource(stream);
  const an = ctx.createAnalyser();
  an.fftSize = 2048;
  src.connect(an);
  const time = new Float32Array(an.fftSize);
  const freq = new Float32Array(an.frequencyBinCount);
  let raf = 0;
  const loop = () => {
    an.getFloatTimeDomainData(time);
    an.getFloatFrequencyData(freq);
    let sum = 0;
    for (const v of time) sum += v * v;
    let peak = 0;
    for (let i = 1; i < freq.length; i++) if (freq[i] > freq[peak]) peak = i;
    onLevel(Math.sqrt(sum / time.length), (peak * ctx.sampleRate) / an.fftSize);
    raf = requestAnimationFrame(loop);
  };
  loop();
  return () => {
    cancelAnimationFrame(raf);
    ctx.close();
  };
}

/** The microphones the page may pick (none listed before the permission is granted: their ids are blank then). */
async function listMics() {
  const all = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
  return all.filter(
    (x) => x.kind === 'audioinput' && x.deviceId && !/^(default|communications)$/.test(x.deviceId),
  );
}

/** The device id of the microphone a session sends (what the agent's choice selected), or null. */
const micOf = (s) =>
  s?.connection
    ?.getSenders()
    .find((x) => x.track?.kind === 'audio')
    ?.track?.getSettings().deviceId ?? null;

function mediaError(e) {
  const name = e?.name ?? e?.cause ?? '';
  return /NotAllowed|Permission|User Denied Media Access/i.test(String(name)) ? t('phoneMicDenied') : null;
}

export function Phone() {
  const [reg, setReg] = useState('connecting');
  const [error, setError] = useState('');
  const [call, setCall] = useState(null);
  const [callState, setCallState] = useState('');
  const [incoming, setIncoming] = useState(null);
  const [muted, setMuted] = useState(false);
  const [held, setHeld] = useState(false);
  const [dial, setDial] = useState('');
  const [target, setTarget] = useState('');
  const [consult, setConsult] = useState(null);
  const [consultState, setConsultState] = useState('');
  const [transferring, setTransferring] = useState(false);
  const [mics, setMics] = useState([]);
  const [mic, setMic] = useState(store.get('mic', ''));
  const [autoAnswer, setAutoAnswer] = useState(store.get('auto', '0') === '1');
  const [level, setLevel] = useState(0);
  const ua = useRef(null);
  const creds = useRef(null);
  const ring = useRef(ringer());
  const audio = useRef(null);
  const mainStream = useRef(null);
  const consulting = useRef(null);
  const auto = useRef(autoAnswer);
  auto.current = autoAnswer;
  // Read through a ref: the incoming-call handler (auto-answer) is set up once, at mount, and must use today's choice.
  const micChoice = useRef(mic);
  micChoice.current = mic;

  /**
   * The microphone for a new session: the agent's choice (`exact`: Chromium ignores an `ideal` device id), or the
   * default one when that device is gone (an unplugged headset must not make the call fail). A refusal is thrown.
   * The page opens it rather than JsSIP, so the choice can fall back; the session's end stops it.
   */
  const openMic = async () => {
    const id = micChoice.current;
    let stream = null;
    if (id) {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: { deviceId: { exact: id } },
          video: false,
        });
      } catch (e) {
        if (!/Overconstrained|NotFound/.test(e?.name ?? '')) throw e;
      }
    }
    stream ??= await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    return stream;
  };
  const stopWith = (s, stream) => {
    const stop = () => stream.getTracks().forEach((x) => x.stop());
    if (s.isEnded()) return stop();
    s.on('ended', stop);
    s.on('failed', stop);
  };
  const PC = { iceServers: [] };
  const refreshMics = () =>
    listMics()
      .then(setMics)
      .catch(() => undefined);

  // Register on mount (the workspace is the signed-in agent's), refresh the credentials before they expire.
  useEffect(() => {
    let stopped = false;
    let refresh = null;
    const fetchCreds = () => api('/phone/credentials', { method: 'POST', body: {} });
    (async () => {
      let c;
      try {
        c = await fetchCreds();
      } catch (e) {
        setReg('failed');
        setError(e.message);
        return;
      }
      if (stopped) return;
      creds.current = c;
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const socket = new JsSIP.WebSocketInterface(`${scheme}://${location.host}${c.ws_path}`);
      const u = new JsSIP.UA({
        sockets: [socket],
        uri: c.uri,
        authorization_user: c.authorization_user,
        password: c.password,
        display_name: c.display_name,
        register: true,
        register_expires: 300,
        session_timers: false,
        user_agent: 'JsSIP tongdai-console',
      });
      u.on('connecting', () => setReg('connecting'));
      u.on('disconnected', () => {
        setReg('disconnected');
        setError(t('phoneDisconnected'));
      });
      u.on('registered', () => {
        setReg('registered');
        setError('');
      });
      u.on('unregistered', () => setReg('unregistered'));
      u.on('registrationFailed', (e) => {
        setReg('failed');
        setError(`${t('phoneRegFailed')}: ${e.cause}`);
      });
      u.on('newRTCSession', (e) => {
        if (e.originator !== 'remote') return;
        const s = e.session;
        setIncoming(s);
        ring.current.start();
        const clear = () => {
          ring.current.stop();
          setIncoming((x) => (x === s ? null : x));
        };
        s.on('failed', clear);
        s.on('ended', clear);
        s.on('accepted', clear);
        if (auto.current) answer(s);
      });
      u.start();
      ua.current = u;
      const schedule = (expiresAt) => {
        const ms = Math.max(30_000, new Date(expiresAt).getTime() - Date.now() - 5 * 60_000);
        refresh = setTimeout(async () => {
          try {
            const n = await fetchCreds();
            creds.current = n;
            u.set('authorization_user', n.authorization_user);
            u.set('password', n.password);
            schedule(n.expires_at);
          } catch {
            schedule(new Date(Date.now() + 6 * 60_000).toISOString());
          }
        }, ms);
      };
      schedule(c.expires_at);
    })();
    void refreshMics();
    navigator.mediaDevices?.addEventListener('devicechange', refreshMics);
    return () => {
      stopped = true;
      navigator.mediaDevices?.removeEventListener('devicechange', refreshMics);
      clearTimeout(refresh);
      ring.current.stop();
      ua.current?.stop();
      ua.current = null;
    };
  }, []);

  // The level meter follows the microphone of the session the agent talks on: the consultation while there is one.
  const talking = consult && consultState === 'confirmed' ? consult : callState === 'confirmed' ? call : null;
  useEffect(() => {
    const track = talking?.connection?.getSenders().find((x) => x.track?.kind === 'audio')?.track;
    if (!track) return undefined;
    void refreshMics(); // the permission is granted now: the devices have ids and labels
    return analyse(new MediaStream([track]), (l) => setLevel(l));
  }, [talking]);

  /**
   * What the agent hears: the call's far end, or the consulted agent during a consultation. Its level and pitch are
   * kept in `window.tongdaiPhone.remote` (what the end-to-end tests read: which tone arrives).
   */
  const play = (stream) => {
    if (audio.current) audio.current.srcObject = stream;
    window.tongdaiPhone.stopRemote?.();
    window.tongdaiPhone.stopRemote = null;
    window.tongdaiPhone.remote = null;
    // A held call's stream has no track (nothing is received); its 'track' event comes again once it is resumed.
    if (!stream?.getAudioTracks().length) return;
    window.tongdaiPhone.stopRemote = analyse(stream, (l, hz) => {
      window.tongdaiPhone.remote = { level: l, hz };
    });
  };

  const track = (s) => {
    setCall(s);
    setCallState('progress');
    setMuted(false);
    setHeld(false);
    setTransferring(false);
    const pcUp = (pc) =>
      pc.addEventListener('track', (ev) => {
        const stream = ev.streams[0] ?? new MediaStream([ev.track]);
        mainStream.current = stream;
        if (!consulting.current) play(stream);
      });
    if (s.connection) pcUp(s.connection);
    else s.on('peerconnection', (e) => pcUp(e.peerconnection));
    s.on('accepted', () => setCallState('confirmed'));
    s.on('confirmed', () => setCallState('confirmed'));
    s.on('hold', () => setHeld(true));
    s.on('unhold', () => setHeld(false));
    const end = (e) => {
      mainStream.current = null;
      if (!consulting.current) play(null);
      setCall((x) => (x === s ? null : x));
      setCallState('');
      setLevel(0);
      setTransferring(false);
      const m = mediaError(e);
      if (m) setError(m);
    };
    s.on('ended', end);
    s.on('failed', end);
  };

  const answer = async (s) => {
    track(s);
    try {
      const stream = await openMic();
      stopWith(s, stream);
      if (!s.isEnded()) s.answer({ mediaStream: stream, pcConfig: PC });
    } catch (e) {
      setError(mediaError(e) ?? e.message);
      // No microphone: the caller is turned away as JsSIP would (480), so the queue offers the call elsewhere.
      if (!s.isEnded()) s.terminate({ status_code: 480 });
    }
  };

  /** A new outgoing session to `uri` on the agent's microphone, or null (the error shown) when there is none. */
  const dialOut = async (uri) => {
    try {
      const stream = await openMic();
      const s = ua.current.call(uri, { mediaStream: stream, pcConfig: PC });
      stopWith(s, stream);
      return s;
    } catch (err) {
      setError(mediaError(err) ?? err.message);
      return null;
    }
  };

  const place = async (e) => {
    e.preventDefault();
    const n = dial.trim();
    if (!n || !ua.current || !creds.current) return;
    setError('');
    const s = await dialOut(`sip:${n}@${creds.current.sip_domain}`);
    if (s) track(s);
  };

  const transferTo = (n) => `sip:${n}@${creds.current.sip_domain}`;
  /** REFER (RFC 3515) on the call; tongdai's NOTIFYs say how it went: 200 ends the call, a failure keeps it. */
  const refer = (uri, options = {}) => {
    const failed = (e) => {
      setTransferring(false);
      const code = e?.status_line?.status_code ?? e?.response?.status_code ?? '';
      setError(`${t('phoneTransferFailed')}${code ? ` (${code})` : ''}`);
    };
    setTransferring(true);
    setError('');
    call.refer(uri, { ...options, eventHandlers: { requestFailed: failed, failed } });
  };
  const blind = () => target.trim() && call && refer(transferTo(target.trim()));
  const startConsult = async () => {
    if (!target.trim() || !call || consult) return;
    if (!held) call.hold();
    const s = await dialOut(transferTo(target.trim()));
    if (!s) return;
    setConsult(s);
    consulting.current = s;
    setConsultState('progress');
    // The consulted agent is heard in place of the (held) caller, then the caller again once the consult is over.
    const pcUp = (pc) =>
      pc.addEventListener('track', (ev) => {
        play(ev.streams[0] ?? new MediaStream([ev.track]));
      });
    if (s.connection) pcUp(s.connection);
    else s.on('peerconnection', (e) => pcUp(e.peerconnection));
    s.on('accepted', () => setConsultState('confirmed'));
    s.on('confirmed', () => setConsultState('confirmed'));
    const over = (e) => {
      setConsult((x) => (x === s ? null : x));
      setConsultState('');
      consulting.current = null;
      play(mainStream.current);
      const m = mediaError(e);
      if (m) setError(m);
    };
    s.on('ended', over);
    s.on('failed', over);
  };
  const completeConsult = () =>
    consult && call && refer(consult.remote_identity.uri.toString(), { replaces: consult });

  window.tongdaiPhone ??= {};
  window.tongdaiPhone.state = {
    reg,
    call: callState,
    held,
    muted,
    incoming: !!incoming,
    consult: consultState,
    transferring,
    mic: micOf(call),
  };

  const regLabel = {
    registered: t('phoneReady'),
    connecting: t('phoneConnecting'),
    disconnected: t('phoneOffline'),
    unregistered: t('phoneOffline'),
    failed: t('phoneOffline'),
  }[reg];
  return html`<section class="panel phone" data-reg=${reg}>
    <h3>${t('phone')} <span class=${`phone-reg r-${reg}`}>${regLabel}</span></h3>
    <audio ref=${audio} autoplay></audio>
    ${error && html`<div class="alert" role="alert">${error}</div>`}
    ${
      incoming &&
      !call &&
      html`<div class="phone-banner" role="alert">
        <div>
          <div class="muted small">${t('phoneIncoming')}</div>
          <strong class="phone-from"
            >${incoming.remote_identity.display_name || incoming.remote_identity.uri.user}</strong
          >
        </div>
        <button class="primary phone-answer" onClick=${() => answer(incoming)}>${t('phoneAnswer')}</button>
        <button class="danger phone-reject" onClick=${() => incoming.terminate({ status_code: 486 })}>
          ${t('phoneReject')}
        </button>
      </div>`
    }
    ${
      call
        ? html`<div class="phone-call" data-state=${callState}>
            <div class="phone-peer">
              ${call.remote_identity.uri.user}
              <span class="muted"
                >${
                  transferring
                    ? t('phoneTransferring')
                    : held
                      ? t('phoneHeld')
                      : callState === 'confirmed'
                        ? t('phoneTalking')
                        : '…'
                }</span
              >
            </div>
            ${
              consult &&
              html`<div class="phone-peer phone-consulting" data-state=${consultState}>
                ${t('phoneConsulting')} ${consult.remote_identity.uri.user}
                <span class="muted">${consultState === 'confirmed' ? t('phoneTalking') : '…'}</span>
                <button class="phone-consult-end" onClick=${() => consult.terminate()}>
                  ${t('phoneCancelConsult')}
                </button>
              </div>`
            }
            <div class="meter" aria-label=${t('phoneLevel')}>
              <span style=${`width:${Math.min(100, Math.round(level * 400))}%`}></span>
            </div>
            <div class="actions">
              <button
                class="phone-mute"
                onClick=${() => (muted ? call.unmute() : call.mute(), setMuted(!muted))}
              >
                ${muted ? t('phoneUnmute') : t('phoneMute')}
              </button>
              <button class="phone-hold" onClick=${() => (held ? call.unhold() : call.hold())}>
                ${held ? t('phoneResume') : t('phoneHold')}
              </button>
              <button class="danger phone-hangup" onClick=${() => call.terminate()}>
                ${t('phoneHangup')}
              </button>
            </div>
            <div class="keypad">
              ${KEYS.map(
                (k) =>
                  html`<button data-key=${k} onClick=${() => call.sendDTMF(k, { transportType: 'RFC2833' })}>
                    ${k}
                  </button>`,
              )}
            </div>
            <div class="phone-transfer">
              <input
                placeholder=${t('phoneTransferTo')}
                value=${target}
                onInput=${(e) => setTarget(e.currentTarget.value)}
              />
              <button class="phone-blind" disabled=${transferring} onClick=${blind}>
                ${t('phoneBlind')}
              </button>
              ${
                consult
                  ? html`<button
                      class="phone-complete primary"
                      disabled=${consultState !== 'confirmed' || transferring}
                      onClick=${completeConsult}
                    >
                      ${t('phoneComplete')}
                    </button>`
                  : html`<button class="phone-consult" onClick=${startConsult}>${t('phoneConsult')}</button>`
              }
            </div>
          </div>`
        : html`<form class="phone-dial" onSubmit=${place}>
            <input
              name="number"
              placeholder=${t('phoneNumber')}
              value=${dial}
              onInput=${(e) => setDial(e.currentTarget.value)}
              inputmode="tel"
            />
            <button class="primary" type="submit" disabled=${reg !== 'registered'}>${t('phoneCall')}</button>
          </form>`
    }
    <div class="phone-settings">
      <label
        >${t('phoneMic')}
        <select
          value=${mic}
          onChange=${(e) => (setMic(e.currentTarget.value), store.set('mic', e.currentTarget.value))}
        >
          <option value="">${t('phoneDefaultMic')}</option>
          ${mics.map((m, i) => html`<option value=${m.deviceId}>${m.label || `${t('phoneMic')} ${i + 1}`}</option>`)}
        </select></label
      >
      <label class="check"
        ><input
          type="checkbox"
          checked=${autoAnswer}
          onChange=${(e) => (setAutoAnswer(e.currentTarget.checked), store.set('auto', e.currentTarget.checked ? '1' : '0'))}
        />
        ${t('phoneAutoAnswer')}</label
      >
    </div>
  </section>`;
}
