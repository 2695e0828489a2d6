/**
 * Numbers as sequences of word-level prompt files, the way Asterisk's say.c builds them: the caller plays
 * the files back to back. File names are those of catalog.ts.
 */
import type { PromptLang } from './catalog.js';

/** Largest number the builders say (the catalogue's biggest unit word is billion / tỷ). */
export const MAX_SAYABLE = 999_999_999_999;

/** How Vietnamese says a zero tens digit after hundreds: northern "linh" (default) or southern "lẻ". */
export interface SayOptions {
  zeroTens?: 'linh' | 'le';
}

function check(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_SAYABLE) {
    throw new RangeError(`cannot say ${n}: an integer from 0 to ${MAX_SAYABLE} is expected`);
  }
}

/** The cardinal `n` as prompt file names. */
export function sayNumber(n: number, lang: PromptLang, opts: SayOptions = {}): string[] {
  check(n);
  return lang === 'vi' ? sayVi(n, opts.zeroTens ?? 'linh') : sayEn(n);
}

/** The ordinal `n` (Vietnamese "thứ ba", English "third") as prompt file names. */
export function sayOrdinal(n: number, lang: PromptLang, opts: SayOptions = {}): string[] {
  check(n);
  if (lang === 'vi') {
    // Only one and four have their own ordinal words; the rest are "thứ" + the cardinal.
    if (n === 1) return ['thu', 'nhat'];
    if (n === 4) return ['thu', 'tu'];
    return ['thu', ...sayVi(n, opts.zeroTens ?? 'linh')];
  }
  // English: the last word takes its ordinal form (one hundred and fifth → "1 hundred h-5").
  const words = sayEn(n);
  words[words.length - 1] = `h-${words[words.length - 1]}`;
  return words;
}

const VI_UNITS = ['', 'nghin', 'trieu', 'ty'];

function sayVi(n: number, zeroTens: 'linh' | 'le'): string[] {
  if (n === 0) return ['0'];
  const groups: number[] = [];
  for (let r = n; r > 0; r = Math.floor(r / 1000)) groups.push(r % 1000);
  const out: string[] = [];
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i] ?? 0;
    if (g === 0) continue; // a whole zero group is skipped: một triệu năm trăm
    // A group after a higher one is read in full: một nghìn không trăm linh năm.
    out.push(...viGroup(g, out.length > 0, zeroTens));
    if (i > 0) out.push(VI_UNITS[i] ?? '');
  }
  return out;
}

function viGroup(g: number, full: boolean, zeroTens: 'linh' | 'le'): string[] {
  const h = Math.floor(g / 100);
  const t = Math.floor(g / 10) % 10;
  const u = g % 10;
  const out: string[] = [];
  const withHundreds = h > 0 || full;
  if (withHundreds) out.push(String(h), 'tram');
  if (t === 0) {
    if (u > 0) {
      if (withHundreds) out.push(zeroTens);
      out.push(String(u));
    }
  } else if (t === 1) {
    out.push('10'); // mười
    if (u === 5) out.push('lam');
    else if (u > 0) out.push(String(u)); // mười một, mười bốn
  } else {
    out.push(String(t), 'muoi');
    if (u === 1) out.push('mot');
    else if (u === 4) out.push('tu');
    else if (u === 5) out.push('lam');
    else if (u > 0) out.push(String(u));
  }
  return out;
}

const EN_UNITS: [number, string][] = [
  [1_000_000_000, 'billion'],
  [1_000_000, 'million'],
  [1000, 'thousand'],
];

function sayEn(n: number): string[] {
  if (n === 0) return ['0'];
  const out: string[] = [];
  let r = n;
  for (const [size, word] of EN_UNITS) {
    if (r >= size) {
      out.push(...enBelowThousand(Math.floor(r / size)), word);
      r %= size;
    }
  }
  if (r > 0) out.push(...enBelowThousand(r));
  return out;
}

// Asterisk's English says no "and": 105 is "one hundred five".
function enBelowThousand(g: number): string[] {
  const out: string[] = [];
  const h = Math.floor(g / 100);
  const rest = g % 100;
  if (h > 0) out.push(String(h), 'hundred');
  if (rest >= 20) {
    out.push(String(rest - (rest % 10)));
    if (rest % 10 > 0) out.push(String(rest % 10));
  } else if (rest > 0) {
    out.push(String(rest));
  }
  return out;
}
