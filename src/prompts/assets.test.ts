// Every file a builder can return is in the catalogue, and every catalogue entry is a committed 8 kHz file.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseWav } from '../media/wav.js';
import { positionAnnouncement, waitAnnouncement } from './announce.js';
import { PROMPT_CATALOG, PROMPT_LANGS, promptPath } from './catalog.js';
import { sayNumber, sayOrdinal } from './say.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'assets');

// Every digit in every position of every group, teens and tens, the unit words and their ordinals.
const SAMPLES = [
  ...Array.from({ length: 1000 }, (_, i) => i),
  ...[1000, 1005, 1021, 12_345, 100_000, 1_000_000, 2_000_500, 1_000_000_000, 999_999_999_999],
];

describe('prompt assets', () => {
  for (const lang of PROMPT_LANGS) {
    it(`${lang}: every word a builder returns is catalogued`, () => {
      const seen = new Set<string>();
      for (const n of SAMPLES) {
        for (const w of [
          ...sayNumber(n, lang),
          ...sayOrdinal(n, lang),
          ...sayNumber(n, lang, { zeroTens: 'le' }),
        ]) {
          seen.add(w);
        }
      }
      for (const n of [1, 4, 21, 105]) positionAnnouncement(n, lang).forEach((w) => seen.add(w));
      for (const m of [0, 1, 2, 25]) waitAnnouncement(m, lang).forEach((w) => seen.add(w));
      const missing = [...seen].filter((w) => !(w in PROMPT_CATALOG[lang]));
      assert.deepEqual(missing, []);
    });
    it(`${lang}: every catalogued prompt is a committed 8 kHz mono 16-bit WAV`, () => {
      for (const name of Object.keys(PROMPT_CATALOG[lang])) {
        const wav = parseWav(readFileSync(join(ASSETS, promptPath(lang, name))));
        assert.equal(wav.format.sampleRate, 8000, name);
        assert.equal(wav.format.bitsPerSample, 16, name);
        assert.equal(wav.channels.length, 1, name);
        assert.ok((wav.channels[0]?.length ?? 0) > 800, `${name} has at least 0.1 s of audio`);
      }
    });
  }
});

// eSpeak NG is GPL-3.0 development tooling: runtime code must not import it (scripts/ may).
describe('prompt tooling stays out of the runtime', () => {
  it('no file under src/ imports espeak-ng', () => {
    const src = join(import.meta.dirname, '..');
    const offenders = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) =>
        /from ['"]espeak-ng['"]|import\(['"]espeak-ng['"]\)/.test(readFileSync(join(src, f), 'utf8')),
      );
    assert.deepEqual(offenders, []);
  });
});
