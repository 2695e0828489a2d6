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
  const [mics, setMics] = useState([]);
  const [mic, setMic] = useState(store.get('mic', ''));
  const [autoAnswer, setAutoAnswer] = useState(store.get('auto', '0') === '1');
  const [level, setLevel] = useState(0);
  const ua = useRef(null);
  const creds = useRef(null);
  const ring = useRef(ringer());
  const audio = useRef(null);
  const auto = useRef(autoAnswer);
  auto.current = autoAnswer;

  const constraints = () => ({ audio: mic ? { deviceId: { exact: mic } } : true, video: false });

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
    navigator.mediaDevices
      ?.enumerateDevices()
      .then((d) => setMics(d.filter((x) => x.kind === 'audioinput')))
      .catch(() => undefined);
    return () => {
      stopped = true;
      clearTimeout(refresh);
      ring.current.stop();
      ua.current?.stop();
      ua.current = null;
    };
  }, []);

  // The level meter follows the microphone while a call is up.
  useEffect(() => {
    const pc = call?.connection;
    if (!pc || callState !== 'confirmed') return undefined;
    const track = pc.getSenders().find((x) => x.track?.kind === 'audio')?.track;
    if (!track) return undefined;
    return analyse(new MediaStream([track]), (l) => setLevel(l));
  }, [call, callState]);

  const track = (s) => {
    setCall(s);
    setCallState('progress');
    setMuted(false);
    setHeld(false);
    const pcUp = (pc) =>
      pc.addEventListener('track', (ev) => {
        const stream = ev.streams[0] ?? new MediaStream([ev.track]);
        if (audio.current) audio.current.srcObject = stream;
        // The far end's level and pitch, for the meter (and the end-to-end test: which tone arrives).
        window.tongdaiPhone.stopRemote?.();
        window.tongdaiPhone.stopRemote = analyse(stream, (l, hz) => {
          window.tongdaiPhone.remote = { level: l, hz };
        });
      });
    if (s.connection) pcUp(s.connection);
    else s.on('peerconnection', (e) => pcUp(e.peerconnection));
    s.on('accepted', () => setCallState('confirmed'));
    s.on('confirmed', () => setCallState('confirmed'));
    s.on('hold', () => setHeld(true));
    s.on('unhold', () => setHeld(false));
    const end = (e) => {
      window.tongdaiPhone.stopRemote?.();
      window.tongdaiPhone.remote = null;
      setCall((x) => (x === s ? null : x));
      setCallState('');
      setLevel(0);
      const m = mediaError(e);
      if (m) setError(m);
    };
    s.on('ended', end);
    s.on('failed', end);
  };

  const answer = (s) => {
    track(s);
    try {
      s.answer({ mediaConstraints: constraints(), pcConfig: { iceServers: [] } });
    } catch (e) {
      setError(mediaError(e) ?? e.message);
    }
  };

  const place = (e) => {
    e.preventDefault();
    const n = dial.trim();
    if (!n || !ua.current || !creds.current) return;
    try {
      const s = ua.current.call(`sip:${n}@${creds.current.sip_domain}`, {
        mediaConstraints: constraints(),
        pcConfig: { iceServers: [] },
      });
      track(s);
    } catch (err) {
      setError(mediaError(err) ?? err.message);
    }
  };

  const transferTo = (n) => `sip:${n}@${creds.current.sip_domain}`;
  const blind = () => target && call?.refer(transferTo(target));
  const startConsult = () => {
    if (!target || !call) return;
    if (!held) call.hold();
    const s = ua.current.call(transferTo(target), {
      mediaConstraints: constraints(),
      pcConfig: { iceServers: [] },
    });
    setConsult(s);
    s.on('ended', () => setConsult(null));
    s.on('failed', () => setConsult(null));
  };
  const completeConsult = () =>
    consult && call?.refer(consult.remote_identity.uri.toString(), { replaces: consult });

  window.tongdaiPhone ??= {};
  window.tongdaiPhone.state = { reg, call: callState, held, muted, incoming: !!incoming };

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
                >${held ? t('phoneHeld') : callState === 'confirmed' ? t('phoneTalking') : '…'}</span
              >
            </div>
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
              <button class="phone-blind" onClick=${blind}>${t('phoneBlind')}</button>
              ${
                consult
                  ? html`<button class="phone-complete" onClick=${completeConsult}>
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
