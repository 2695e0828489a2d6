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

/** The ringback file under `<dataDir>/media/tones/`, written (atomically) when missing; returns its path. */
export function ensureRingback(dataDir: string): string {
  const path = join(dataDir, 'media', 'tones', 'ringback.wav');
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, encodeWav(synthRingback()));
  renameSync(tmp, path);
  return path;
}
