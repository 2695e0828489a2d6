/**
 * Render the prompt catalogue (src/prompts/catalog.ts) to assets/prompts/<lang>/<name>.wav, 8 kHz mono
 * PCM16 like every other file the media engine plays: `npm run prompts [-- name ...]`.
 *
 * eSpeak NG (GPL-3.0) runs here, at development time only, through the npm wasm build; the runtime reads
 * the committed WAV files and never imports it. sox resamples, trims the synthesiser's leading and trailing
 * silence (so words join without gaps) and normalises the level.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import ESpeakNg from 'espeak-ng';
import { PROMPT_CATALOG, PROMPT_LANGS, type PromptLang } from '../src/prompts/catalog.js';

const VOICES: Record<PromptLang, string[]> = {
  vi: ['-v', 'vi', '-s', '150'],
  en: ['-v', 'en-us', '-s', '160'],
};
const out = resolve('assets/prompts');
const only = new Set(process.argv.slice(2));
const wasm = readFileSync(join(createRequire(import.meta.url).resolve('espeak-ng'), '..', 'espeak-ng.wasm'));

async function speak(lang: PromptLang, text: string): Promise<Uint8Array> {
  const m = await ESpeakNg({
    arguments: [...VOICES[lang], '-w', 'out.wav', text],
    wasmBinary: wasm,
  });
  return m.FS.readFile('out.wav');
}

const tmp = mkdtempSync(join(tmpdir(), 'prompts-'));
try {
  for (const lang of PROMPT_LANGS) {
    mkdirSync(join(out, lang), { recursive: true });
    for (const [name, text] of Object.entries(PROMPT_CATALOG[lang])) {
      if (only.size > 0 && !only.has(name)) continue;
      const raw = join(tmp, 'raw.wav');
      writeFileSync(raw, await speak(lang, text));
      const dest = join(out, lang, `${name}.wav`);
      // prettier-ignore
      execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', dest,
        'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse', 'norm', '-3']);
      console.log(`${lang}/${name}.wav  ${text}`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
