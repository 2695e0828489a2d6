import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type PromptLang, promptPath } from './catalog.js';

/** The shipped prompt files (assets/prompts/<lang>/<name>.wav). */
export const PROMPT_ASSETS = join(import.meta.dirname, '..', '..', 'assets');

/**
 * The file a flow's prompt plays for a tenant: `media:<file>` is the tenant's uploaded file; a catalogue name is
 * the tenant's own upload of that name (`welcome.wav`) when there is one, else the shipped file of the language.
 */
export function promptFile(dataDir: string, tenantId: number, lang: PromptLang, prompt: string): string {
  const tenantDir = join(dataDir, 'media', String(tenantId));
  if (prompt.startsWith('media:')) {
    const name = prompt.slice('media:'.length);
    return join(tenantDir, name.toLowerCase().endsWith('.wav') ? name : `${name}.wav`);
  }
  const own = join(tenantDir, `${prompt}.wav`);
  return existsSync(own) ? own : join(PROMPT_ASSETS, promptPath(lang, prompt));
}
