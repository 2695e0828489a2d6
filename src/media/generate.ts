/**
 * Synthesised media, so tongdai ships no downloaded audio: a default music-on-hold loop (sine-wave
 * chords with soft envelopes) and the short earcon prompts that announce queue position and wait.
 * Everything is 8 kHz mono PCM16, deterministic, and takes milliseconds to build.
 */
import { RATE } from './wav.js';

const A4 = 440;
const noteHz = (semitonesFromA4: number) => A4 * 2 ** (semitonesFromA4 / 12);

/** Add a decaying, slightly bell-like note (fundamental + soft octave) into `out`. */
function addNote(out: Float32Array, startSec: number, durSec: number, hz: number, gain: number): void {
  const start = Math.round(startSec * RATE);
  const len = Math.round(durSec * RATE);
  const attack = Math.round(0.02 * RATE);
  for (let i = 0; i < len && start + i < out.length; i++) {
    const t = i / RATE;
    // Attack ramp, exponential decay, and a short release so every note ends at zero (no clicks).
    const env =
      Math.min(1, i / attack) * Math.exp((-2.2 * t) / durSec) * Math.min(1, (len - i) / (0.05 * RATE));
    const v = Math.sin(2 * Math.PI * hz * t) + 0.25 * Math.sin(4 * Math.PI * hz * t);
    out[start + i]! += gain * env * v;
  }
}

function toPcm(f: Float32Array, peak = 0.5): Int16Array {
  let max = 0;
  for (const v of f) max = Math.max(max, Math.abs(v));
  const k = max === 0 ? 0 : (peak * 32767) / max;
  const out = new Int16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.round(f[i]! * k);
  return out;
}

// I – vi – IV – V in C major, as semitones from A4; each chord is a bass note plus an arpeggio.
const PROGRESSION = [
  { bass: -21, chord: [-9, -5, -2, 3] },
  { bass: -24, chord: [-12, -9, -5, 0] },
  { bass: -28, chord: [-16, -12, -9, -4] },
  { bass: -26, chord: [-14, -10, -7, -2] },
];

/** The default hold music: `bars` bars of 2 s each (16 s by default), loopable end to start. */
export function synthMusicOnHold(bars = 8): Int16Array {
  const barSec = 2;
  const out = new Float32Array(bars * barSec * RATE);
  for (let b = 0; b < bars; b++) {
    const { bass, chord } = PROGRESSION[b % PROGRESSION.length]!;
    const t0 = b * barSec;
    addNote(out, t0, barSec, noteHz(bass), 0.5);
    chord.forEach((n, i) => addNote(out, t0 + i * 0.25, barSec - i * 0.25, noteHz(n), 0.3));
    addNote(out, t0 + 1.25, 0.7, noteHz(chord[chord.length - 1]! + 12), 0.15);
  }
  return toPcm(out);
}

function tones(notes: { at: number; dur: number; semis: number }[], totalSec: number): Int16Array {
  const out = new Float32Array(Math.round(totalSec * RATE));
  for (const n of notes) addNote(out, n.at, n.dur, noteHz(n.semis), 0.5);
  return toPcm(out, 0.45);
}

/** The prompt files: name → samples. Position and wait are told with earcons (see docs/media.md). */
export function synthPrompts(): Record<string, Int16Array> {
  return {
    // Rising "ding-dong": your position in the queue follows.
    'intro-position': tones(
      [
        { at: 0, dur: 0.45, semis: 3 },
        { at: 0.35, dur: 0.6, semis: 10 },
      ],
      1.1,
    ),
    // Falling "dong-ding": the expected wait in minutes follows.
    'intro-wait': tones(
      [
        { at: 0, dur: 0.45, semis: 10 },
        { at: 0.35, dur: 0.6, semis: 3 },
      ],
      1.1,
    ),
    // One pip per unit (position, or minute of expected wait).
    pip: tones([{ at: 0, dur: 0.18, semis: 15 }], 0.35),
    // Ten or more: a low chord instead of counting pips.
    many: tones(
      [
        { at: 0, dur: 0.8, semis: -9 },
        { at: 0, dur: 0.8, semis: -5 },
      ],
      1.0,
    ),
  };
}

/** The prompt names that announce `n` (position or minutes): intro, then n pips, or "many" from 10. */
export function countPrompt(kind: 'position' | 'wait', n: number): string[] {
  const intro = kind === 'position' ? 'intro-position' : 'intro-wait';
  const count = Math.max(1, Math.round(n));
  if (count >= 10) return [intro, 'many'];
  return [intro, ...Array.from({ length: count }, () => 'pip')];
}
