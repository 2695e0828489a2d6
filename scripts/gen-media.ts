/**
 * Write the synthesised media (default hold music and announcement prompts) as WAV files, to listen to
 * or inspect: `npx tsx scripts/gen-media.ts [dir]` (default assets/generated/). tongdai itself writes the
 * same files into its data directory on first use, so nothing here is needed at run time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { synthMusicOnHold, synthPrompts } from '../src/media/generate.js';
import { encodeWav } from '../src/media/wav.js';

const dir = resolve(process.argv[2] ?? 'assets/generated');
mkdirSync(dir, { recursive: true });
const files: Record<string, Int16Array> = { waiting: synthMusicOnHold(), ...synthPrompts() };
for (const [name, pcm] of Object.entries(files)) {
  const path = join(dir, `${name}.wav`);
  writeFileSync(path, encodeWav(pcm));
  console.log(`${path}  ${(pcm.length / 8000).toFixed(2)} s`);
}
