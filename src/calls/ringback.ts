import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RATE, encodeWav } from '../media/wav.js';

/**
 * The ringback tone a click-to-call agent hears while the customer's phone rings (when the carrier sends no
 * early media of its own): Vietnam's (and ITU-T E.180's common) 425 Hz, 1 s on, 4 s off, as one 5 s clip the
 * media engine loops like hold music.
 */
export function synthRingback(): Int16Array {
  const pcm = new Int16Array(5 * RATE);
  const amplitude = 0.25 * 32767;
  for (let i = 0; i < RATE; i++) {
    // 5 ms ramps at both ends avoid clicks.
    const ramp = Math.min(1, i / 40, (RATE - i) / 40);
    pcm[i] = Math.round(amplitude * ramp * Math.sin((2 * Math.PI * 425 * i) / RATE));
  }
  return pcm;
}

/** The beep before a voicemail is recorded: 1 kHz for 400 ms. */
export function synthBeep(): Int16Array {
  const n = 0.4 * RATE;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const ramp = Math.min(1, i / 40, (n - i) / 40);
    pcm[i] = Math.round(0.3 * 32767 * ramp * Math.sin((2 * Math.PI * 1000 * i) / RATE));
  }
  return pcm;
}

/** The ringback file under `<dataDir>/media/tones/`, written (atomically) when missing; returns its path. */
export function ensureRingback(dataDir: string): string {
  return ensureTone(dataDir, 'ringback', synthRingback);
}

/** The voicemail beep under `<dataDir>/media/tones/`, written when missing; returns its path. */
export function ensureBeep(dataDir: string): string {
  return ensureTone(dataDir, 'beep', synthBeep);
}

function ensureTone(dataDir: string, name: string, synth: () => Int16Array): string {
  const path = join(dataDir, 'media', 'tones', `${name}.wav`);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, encodeWav(synth()));
  renameSync(tmp, path);
  return path;
}
