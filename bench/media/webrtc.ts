/**
 * WebRTC legs bridged to plain RTP legs (issue 15): loss, tongdai's CPU per WebRTC leg against a plain RTP leg
 * in the same run, and call setup time from the browser's offer (the INVITE's SDP) to the first media packet.
 *
 * This process runs the media engine as in production; nothing else runs on its event loop, so its
 * process.cpuUsage() is tongdai's CPU. First the baseline: N plain RTP↔RTP calls (both sides Node phones from
 * bench/media/phones.ts). Then N WebRTC↔RTP calls: the RTP side is the same phones, the WebRTC side werift peers
 * (test/media/webrtc-peer.ts, the browser stand-in of the media tests) in their own child processes, so the
 * peers' ICE, DTLS and SRTP are not counted as tongdai's. No recording, no transcoding (PCMU end to end), so
 * the only difference between the two runs is the WebRTC leg.
 *
 *   npm run bench:webrtc -- [legs=100] [seconds=20]
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MediaEngine, RtpEndpoint } from '../../src/media/engine.js';
import type { WebRtcTransport } from '../../src/media/webrtc.js';
import { type StepReport, ask, forkPhones, openPhones } from './phones.js';

const self = fileURLToPath(import.meta.url);

type BrowserMsg =
  | { offer: number }
  | { accept: number; sdp: string }
  | { quiet: true }
  | { run: number; delayMs: number }
  | { close: true }
  | { diag: number };
interface BrowserReport {
  sent: number;
  got: number;
  lateTicks: number;
  /** Peers not `connected` at the end of the run (ICE or DTLS lost), with their states. */
  down: string[];
}

/** Child: werift peers playing browsers. Each talks from the moment it is connected (as a browser does). */
async function browsers(): Promise<void> {
  const { WebRtcPeer } = await import('../../test/media/webrtc-peer.js');
  const peers = new Map<number, InstanceType<typeof WebRtcPeer>>();
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg: BrowserMsg) => {
    if ('offer' in msg) {
      const p = new WebRtcPeer(1000);
      peers.set(msg.offer, p);
      process.send!({ id: msg.offer, sdp: await p.offer() });
    } else if ('accept' in msg) {
      const p = peers.get(msg.accept)!;
      await p.accept(msg.sdp);
      await p.connected();
      p.talk();
      process.send!({ id: msg.accept, connected: true });
    } else if ('diag' in msg) {
      process.send!({ diagOf: msg.diag, peer: peers.get(msg.diag)?.diagnostics() ?? null });
    } else if ('quiet' in msg) {
      for (const p of peers.values()) p.stop();
      process.send!({ quiet: true });
    } else if ('run' in msg) {
      const in0 = new Map([...peers].map(([k, p]) => [k, p.packetsIn]));
      const out0 = new Map([...peers].map(([k, p]) => [k, p.packetsOut]));
      for (const p of peers.values()) p.got.length = 0;
      process.send!({ ready: true });
      await new Promise((r) => setTimeout(r, msg.delayMs));
      for (const p of peers.values()) p.talk();
      await new Promise((r) => setTimeout(r, msg.run * 1000));
      for (const p of peers.values()) p.stop();
      await new Promise((r) => setTimeout(r, 1500));
      let sent = 0;
      let got = 0;
      for (const [k, p] of peers) {
        sent += p.packetsOut - out0.get(k)!;
        got += p.packetsIn - in0.get(k)!;
      }
      const down = [...peers]
        .filter(([, p]) => p.pc.connectionState !== 'connected')
        .map(([k, p]) => `${k}:${p.pc.connectionState}`);
      process.send!({ sent, got, lateTicks: 0, down } satisfies BrowserReport);
    } else {
      await Promise.all([...peers.values()].map((p) => p.close()));
      peers.clear();
      process.send!({ closed: true });
    }
  });
}

function request<T>(
  child: ChildProcess,
  msg: BrowserMsg,
  match: (m: Record<string, unknown>) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!match(m)) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(msg);
  });
}

/** The bench reaches past the SIP core's view of a leg for its WebRTC transport's diagnostics. */
const transportOf = (e: RtpEndpoint) =>
  (e as unknown as { ep?: { webRtc: WebRtcTransport | null } }).ep?.webRtc;

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 10) / 10 : null;
};

/** Measure tongdai's CPU and the traffic over `seconds` while the generators run. */
async function measure(run: () => Promise<{ sent: number; got: number }[]>) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await run();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { res, wallMs, cpuMs };
}

async function baseline(engine: MediaEngine, phones: ChildProcess[], n: number, seconds: number) {
  const ports = await openPhones(phones, n);
  const calls: { a: RtpEndpoint; b: RtpEndpoint }[] = [];
  for (let i = 0; i < n; i++) {
    const a = await engine.allocate();
    const b = await engine.allocate();
    a.setRemote({ ip: '127.0.0.1', port: ports[i]!.a, codec: 'PCMU', payloadType: 0 });
    b.setRemote({ ip: '127.0.0.1', port: ports[i]!.b, codec: 'PCMU', payloadType: 0 });
    engine.bridge(a, b);
    calls.push({ a, b });
  }
  const { res, wallMs, cpuMs } = await measure(async () => {
    const reports = (await Promise.all(
      phones.map((c, k) =>
        ask(c, {
          calls: calls
            .filter((_, i) => i % phones.length === k)
            .map((x) => ({ a: x.a.localPort, b: x.b.localPort })),
          seconds,
        }),
      ),
    )) as StepReport[];
    const s = (f: (r: StepReport) => number) => reports.reduce((acc, r) => acc + f(r), 0);
    return [
      { sent: s((r) => r.sentA), got: s((r) => r.gotB) },
      { sent: s((r) => r.sentB), got: s((r) => r.gotA) },
    ];
  });
  for (const c of calls) {
    c.a.close();
    c.b.close();
  }
  return { res, wallMs, cpuMs };
}

async function webrtc(
  engine: MediaEngine,
  phones: ChildProcess[],
  peers: ChildProcess[],
  n: number,
  seconds: number,
  concurrency: number,
) {
  const { MediaLeg } = await import('../../src/calls/media-leg.js');
  const ports = await openPhones(phones, n);
  const calls: { a: RtpEndpoint; b: RtpEndpoint }[] = [];
  const legs = new Map<number, RtpEndpoint>();
  const setup: number[] = [];
  const failed: string[] = [];
  const diagnostics: unknown[] = [];
  const downDiagnostics: unknown[] = [];
  const setupCpu0 = process.cpuUsage();
  const setupT0 = performance.now();
  // One call: the browser's offer arrives (INVITE), tongdai answers (werift), the browser connects and talks;
  // setup time ends at tongdai's first decrypted packet from the browser.
  const one = async (i: number) => {
    const child = peers[i % peers.length]!;
    const { sdp: offer } = await request<{ sdp: string }>(
      child,
      { offer: i },
      (m) => m.id === i && 'sdp' in m,
    );
    const invite = performance.now();
    const a = await engine.allocate();
    a.setRemote({ ip: '127.0.0.1', port: ports[i]!.a, codec: 'PCMU', payloadType: 0 });
    const leg = new MediaLeg(await engine.allocate());
    if (!(await leg.prepare(offer, true))) throw new Error('werift refused the offer');
    const answer = leg.answer(offer);
    if (!answer) throw new Error('no answer');
    engine.bridge(a, leg.endpoint);
    calls.push({ a, b: leg.endpoint });
    legs.set(i, leg.endpoint);
    void request(child, { accept: i, sdp: answer }, (m) => m.id === i && 'connected' in m);
    const deadline = invite + 15_000;
    while (leg.endpoint.stats().packetsIn === 0) {
      if (performance.now() > deadline) {
        const { peer } = await request<{ peer: unknown }>(child, { diag: i }, (m) => m.diagOf === i);
        diagnostics.push({ leg: i, tongdai: transportOf(leg.endpoint)?.diagnostics() ?? null, peer });
        throw new Error('no media within 15 s');
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    setup.push(performance.now() - invite);
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await one(i).catch((e: Error) => failed.push(`${i}: ${e.message}`));
      }
    }),
  );
  const setupMs = performance.now() - setupT0;
  // Legs whose handshake met a repeated HelloVerifyRequest (werift's client used to fail those; dtls-client.ts).
  const repeatedHelloVerify = calls.filter((c) => (transportOf(c.b)?.repeatedHelloVerify ?? 0) > 0).length;
  const down: string[] = [];
  const sc = process.cpuUsage(setupCpu0);
  await Promise.all(peers.map((c) => request(c, { quiet: true }, (m) => 'quiet' in m)));
  await new Promise((r) => setTimeout(r, 500));
  // tongdai's side of each hop: media datagrams at werift's socket, decrypted, and encrypted out.
  const hops = () => {
    const t = { atSocket: 0, decrypted: 0, encryptedOut: 0 };
    for (const c of calls) {
      const d = transportOf(c.b)?.diagnostics();
      if (!d) continue;
      t.atSocket += d.rawMediaAtSocket as number;
      t.decrypted += d.in as number;
      t.encryptedOut += d.out as number;
    }
    return t;
  };
  const hops0 = hops();
  const { res, wallMs, cpuMs } = await measure(async () => {
    await Promise.all(peers.map((c) => request(c, { run: seconds, delayMs: 300 }, (m) => 'ready' in m)));
    const browserReports = Promise.all(
      peers.map((c) => new Promise<BrowserReport>((r) => c.once('message', (m) => r(m as BrowserReport)))),
    );
    const reports = (await Promise.all(
      phones.map((c, k) =>
        ask(c, {
          calls: calls.filter((_, i) => i % phones.length === k).map((x) => ({ a: x.a.localPort, b: null })),
          seconds,
        }),
      ),
    )) as StepReport[];
    const br = await browserReports;
    down.push(...br.flatMap((r) => r.down));
    const s = (f: (r: StepReport) => number) => reports.reduce((acc, r) => acc + f(r), 0);
    return [
      { sent: s((r) => r.sentA), got: br.reduce((acc, r) => acc + r.got, 0) },
      { sent: br.reduce((acc, r) => acc + r.sent, 0), got: s((r) => r.gotA) },
    ];
  });
  const hops1 = hops();
  const tongdaiHops = {
    browser_media_at_socket: hops1.atSocket - hops0.atSocket,
    browser_media_decrypted: hops1.decrypted - hops0.decrypted,
    to_browser_encrypted: hops1.encryptedOut - hops0.encryptedOut,
  };
  // Per leg down at the end (at most 5): both sides' states, for the cause.
  for (const d of down.slice(0, 5)) {
    const i = Number(d.split(':')[0]);
    const child = peers[i % peers.length]!;
    const { peer } = await request<{ peer: unknown }>(child, { diag: i }, (m) => m.diagOf === i);
    downDiagnostics.push({ leg: i, tongdai: transportOf(legs.get(i)!)?.diagnostics() ?? null, peer });
  }
  // A call that failed set-up is still counted: its phone's packets are lost.
  await Promise.all(peers.map((c) => request(c, { close: true }, (m) => 'closed' in m)));
  for (const c of calls) {
    c.a.close();
    c.b.close();
  }
  return {
    res,
    wallMs,
    cpuMs,
    setup,
    failed,
    diagnostics,
    repeatedHelloVerify,
    downDiagnostics,
    tongdaiHops,
    down,
    setupCpuMsPerCall: Math.round(((sc.user + sc.system) / 1000 / n) * 10) / 10,
    setupWallMs: Math.round(setupMs),
  };
}

const loss = (x: { sent: number; got: number }) =>
  Math.round((100 - (100 * x.got) / Math.max(1, x.sent)) * 1000) / 1000;

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const n = Number(args[0] ?? 100);
  const seconds = Number(args[1] ?? 20);
  const concurrency = Number(process.env.SETUP_CONCURRENCY ?? 10);
  // werift's own logs for this process only (its `debug` namespaces), e.g. BENCH_DEBUG='werift-dtls*err*'.
  if (process.env.BENCH_DEBUG)
    (createRequire(import.meta.url)('debug') as { enable(ns: string): void }).enable(process.env.BENCH_DEBUG);
  const { MediaEngine } = await import('../../src/media/engine.js');
  const engine = new MediaEngine({
    publicIp: '127.0.0.1',
    bindIp: '127.0.0.1',
    portMin: 40000,
    portMax: 49999,
  });
  const phones = forkPhones(2);
  const peers = Array.from({ length: 2 }, () =>
    fork(self, ['--browsers'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const load0 = loadavg()[0]!;
  const base = await baseline(engine, phones, n, seconds);
  const rtc = await webrtc(engine, phones, peers, n, seconds, concurrency);
  const load1 = loadavg()[0]!;
  for (const c of [...phones, ...peers]) c.kill();
  await engine.close();
  // CPU in ms per second of traffic, per call (the 1.5 s drain after the traffic is near idle); a plain call
  // has two RTP legs, a WebRTC call one of each.
  const perCall = (r: { cpuMs: number }) => r.cpuMs / seconds / n;
  const rtpLeg = perCall(base) / 2;
  const webrtcLeg = perCall(rtc) - rtpLeg;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const summary = {
    cpus: cpus().length,
    legs: n,
    seconds,
    baseline_rtp: {
      phone_a_to_b: base.res[0],
      phone_b_to_a: base.res[1],
      loss_pct: loss({
        sent: base.res[0]!.sent + base.res[1]!.sent,
        got: base.res[0]!.got + base.res[1]!.got,
      }),
      cpu_pct: Math.round((base.cpuMs / base.wallMs) * 1000) / 10,
      cpu_ms_per_s_per_rtp_leg: r2(rtpLeg),
    },
    webrtc: {
      phone_to_browser: rtc.res[0],
      browser_to_phone: rtc.res[1],
      loss_pct: loss({ sent: rtc.res[0]!.sent + rtc.res[1]!.sent, got: rtc.res[0]!.got + rtc.res[1]!.got }),
      loss_to_browser_pct: loss(rtc.res[0]!),
      loss_to_phone_pct: loss(rtc.res[1]!),
      cpu_pct: Math.round((rtc.cpuMs / rtc.wallMs) * 1000) / 10,
      cpu_ms_per_s_per_webrtc_leg: r2(webrtcLeg),
      setup_ms_p50: pct(rtc.setup, 0.5),
      setup_ms_p95: pct(rtc.setup, 0.95),
      setup_ms_max: pct(rtc.setup, 1),
      setup_cpu_ms_per_call: rtc.setupCpuMsPerCall,
      setup_wall_ms: rtc.setupWallMs,
      setup_concurrency: concurrency,
      failed: rtc.failed,
      // Per failed leg: tongdai's and the browser's ICE, DTLS and SRTP state and packet counts at the deadline.
      failed_diagnostics: rtc.diagnostics,
      legs_with_repeated_hello_verify: rtc.repeatedHelloVerify,
      // Browsers whose connection was no longer up at the end of the run.
      down_at_end: rtc.down,
      down_diagnostics: rtc.downDiagnostics,
      tongdai_hops: rtc.tongdaiHops,
    },
    cpu_ratio_webrtc_to_rtp_leg: r2(webrtcLeg / rtpLeg),
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    load1: [Math.round(load0 * 10) / 10, Math.round(load1 * 10) / 10],
  };
  const w = summary.webrtc;
  console.error(
    `| ${n} | ${seconds} s | ${summary.baseline_rtp.loss_pct} % | ${w.loss_pct} % (→browser ${w.loss_to_browser_pct}, →phone ${w.loss_to_phone_pct}) | ${summary.baseline_rtp.cpu_ms_per_s_per_rtp_leg} | ${w.cpu_ms_per_s_per_webrtc_leg} | ${summary.cpu_ratio_webrtc_to_rtp_leg}× | ${w.setup_ms_p50} / ${w.setup_ms_p95} ms | ${w.failed.length} | ${summary.load1.join(' → ')} |`,
  );
  console.log(JSON.stringify(summary, null, 2));
  process.exit(0);
}

if (process.argv.includes('--browsers')) await browsers();
else await main();
