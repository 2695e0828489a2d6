/** Where the prompt files are on disk: the runtime reads them, it never synthesises. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type PromptLang, PROMPT_LANGS, promptPath } from './catalog.js';

/** The committed assets directory (assets/ at the repository root; prompts under assets/prompts/<lang>/). */
export const ASSETS_DIR = join(import.meta.dirname, '..', '..', 'assets');

/** A queue's language setting as a prompt language (anything unknown speaks Vietnamese, the default). */
export function promptLang(value: string | null | undefined): PromptLang {
  return PROMPT_LANGS.find((l) => l === value) ?? 'vi';
}

/** Absolute paths of the named shipped prompts of `lang`, in order, for `playPrompt()`. */
export function promptFiles(lang: PromptLang, names: readonly string[]): string[] {
  return names.map((name) => join(ASSETS_DIR, promptPath(lang, name)));
}

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
  return existsSync(own) ? own : join(ASSETS_DIR, promptPath(lang, prompt));
}
