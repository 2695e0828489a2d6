/** Where the shipped prompt files are on disk: the runtime reads them, it never synthesises. */
import { join } from 'node:path';
import { type PromptLang, PROMPT_LANGS, promptPath } from './catalog.js';

/** The committed assets directory (assets/ at the repository root). */
export const ASSETS_DIR = join(import.meta.dirname, '..', '..', 'assets');

/** A queue's language setting as a prompt language (anything unknown speaks Vietnamese, the default). */
export function promptLang(value: string | null | undefined): PromptLang {
  return PROMPT_LANGS.find((l) => l === value) ?? 'vi';
}

/** Absolute paths of the named prompts of `lang`, in order, for `playPrompt()`. */
export function promptFiles(lang: PromptLang, names: readonly string[]): string[] {
  return names.map((name) => join(ASSETS_DIR, promptPath(lang, name)));
}
