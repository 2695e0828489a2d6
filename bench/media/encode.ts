/**
 * Recording storage and encoding cost per call-hour: a stereo call recording (caller: sipp's g711a.pcap speech
 * looped with pauses, agent: a voiced, amplitude-modulated tone with its own pauses, both as the recorder writes
 * them: 8 kHz PCM16) is encoded to MP3 in the recordings pipeline's worker thread, exactly as after a call.
 * Baseline measured in the same run: the WAV itself (bytes per call-hour) and real time (CPU seconds per
 * call-hour of audio). Reported: MB per call-hour, the compression ratio, encoding CPU seconds per call-hour and
 * the speed against real time.
 *
 * Then short calls (`--short-seconds`, `--short-calls` of them): the pool's kept thread against a fresh thread per
 * encode (how the pool worked before 2026-12-08; a new pool per encode reproduces it), alternated in the same run:
 * CPU per call and its ratio.
 *
 *   node --import tsx bench/media/encode.ts [--minutes 10] [--threads 1] [--runs 2] [--short-seconds 60] [--short-calls 20]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decode } from '../../src/media/g711.js';
import { wavHeader } from '../../src/media/wav.js';
import { EncoderPool } from '../../src/recordings/encoder.js';
import { readPcapRtp } from '../../test/media/helpers.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '2' },
    'short-seconds': { type: 'string', default: '60' },
    'short-calls': { type: 'string', default: '20' },
  },
});
const minutes = Number(values.minutes);
const threads = Number(values.threads);
const runs = Number(values.runs);

function callRecording(seconds: number): Buffer {
  const frames = seconds * 8000;
  const speech = decode(
    'PCMA',
    Buffer.concat(readPcapRtp('/usr/share/sip-tester/g711a.pcap').map((p) => p.payload)),
  );
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const t = i / 8000;
    // Turn-taking: the caller talks 7 s in every 12, the agent in the other 5 (with a little overlap).
    const callerOn = t % 12 < 7;
    const agentOn = t % 12 >= 6.5;
    const l = callerOn ? speech[i % speech.length]! : 0;
    const f0 = 140 + 30 * Math.sin(2 * Math.PI * 0.7 * t);
    const voice =
      Math.sin(2 * Math.PI * f0 * t) +
      0.5 * Math.sin(4 * Math.PI * f0 * t) +
      0.25 * Math.sin(6 * Math.PI * f0 * t);
    const r = agentOn ? 4000 * voice * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t)) : 0;
    data.writeInt16LE(l, i * 4);
    data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(r))), i * 4 + 2);
  }
  return Buffer.concat([wavHeader(2, 8000, data.length), data]);
}

const dir = mkdtempSync(join(tmpdir(), 'tongdai-bench-enc-'));
const wav = join(dir, 'call.wav');
writeFileSync(wav, callRecording(minutes * 60));
const wavBytes = statSync(wav).size;
const pool = new EncoderPool(threads);
const hours = minutes / 60;
const rows: string[] = [];
for (let run = 1; run <= runs; run++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await pool.encode({ wavPath: wav, mp3Path: join(dir, `call-${run}.mp3`) });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  rows.push(
    `| ${run} | ${minutes} | ${(wavBytes / hours / 1e6).toFixed(1)} | ${(r.sizeBytes / hours / 1e6).toFixed(2)} | ` +
      `${(wavBytes / r.sizeBytes).toFixed(1)} | ${(cpuSec / hours).toFixed(0)} | ${(wall / hours).toFixed(0)} | ` +
      `${((minutes * 60) / cpuSec).toFixed(1)}× | ${loadavg()[0]!.toFixed(1)} |`,
  );
}

// Short calls: CPU per encode with the kept thread against a fresh thread per encode, alternated call by call.
const shortSec = Number(values['short-seconds']);
const shortCalls = Number(values['short-calls']);
const shortWav = join(dir, 'short.wav');
writeFileSync(shortWav, callRecording(shortSec));
await pool.encode({ wavPath: shortWav, mp3Path: join(dir, 'short-warm.mp3') });
const startedBefore = pool.started;
const cpuOf = async (encode: () => Promise<unknown>) => {
  const c0 = process.cpuUsage();
  await encode();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
let kept = 0;
let fresh = 0;
for (let i = 0; i < shortCalls; i++) {
  kept += await cpuOf(() => pool.encode({ wavPath: shortWav, mp3Path: join(dir, `short-k${i}.mp3`) }));
  fresh += await cpuOf(async () => {
    const once = new EncoderPool(1);
    try {
      await once.encode({ wavPath: shortWav, mp3Path: join(dir, `short-f${i}.mp3`) });
    } finally {
      await once.close();
    }
  });
}
const threadsStarted = pool.started - startedBefore;
await pool.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}, ${threads} encoder thread(s)\n`,
);
console.log(
  '| run | call minutes | WAV MB / call-hour (baseline) | MP3 MB / call-hour | ratio | encode CPU s / call-hour | encode wall s / call-hour | speed vs real time (CPU) | load avg |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log(
  `\n| short calls | seconds each | thread per encode: CPU ms / call (baseline) | kept thread: CPU ms / call | ratio | threads started (kept) | load avg |`,
);
console.log('|---:|---:|---:|---:|---:|---:|---:|');
console.log(
  `| ${shortCalls} | ${shortSec} | ${((fresh / shortCalls) * 1000).toFixed(0)} | ${((kept / shortCalls) * 1000).toFixed(0)} | ` +
    `${(kept / fresh).toFixed(2)}× | ${threadsStarted} | ${loadavg()[0]!.toFixed(1)} |`,
);
