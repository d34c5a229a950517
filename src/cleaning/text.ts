/**
 * Tiny character helpers shared by the cleaners. They work on UTF-16 code units so the cleaners can
 * scan a string once without building normalized copies.
 */

const FULL_WIDTH_FIRST = 0xff01; // ！
const FULL_WIDTH_LAST = 0xff5e; // ～
const FULL_WIDTH_OFFSET = 0xfee0; // ０ (U+FF10) - 0 (U+0030)
const IDEOGRAPHIC_SPACE = 0x3000;

export const CODE_0 = 48;
export const CODE_9 = 57;

/**
 * Maps a full-width ASCII variant (０-９, Ａ-Ｚ, ＋, －, ／, （ …) and the ideographic space to its
 * half-width code; any other code is returned unchanged.
 */
export function toHalfWidthCode(code: number): number {
  if (code < FULL_WIDTH_FIRST) return code === IDEOGRAPHIC_SPACE ? 32 : code;
  return code <= FULL_WIDTH_LAST ? code - FULL_WIDTH_OFFSET : code;
}

/**
 * Whitespace as spreadsheets and copy-paste deliver it: ASCII blanks, NBSP, the Unicode spaces,
 * the ideographic space and a stray BOM / zero-width space.
 */
export function isSpaceCode(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === IDEOGRAPHIC_SPACE ||
    (code >= 0x2000 && code <= 0x200b) ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0xfeff ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x1680
  );
}

/** Index of the first non-space code unit of s (s.length when all blank). */
export function trimStartIndex(s: string): number {
  let i = 0;
  while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++;
  return i;
}

/** One past the last non-space code unit of s, not below `start`. */
export function trimEndIndex(s: string, start: number): number {
  let end = s.length;
  while (end > start && isSpaceCode(s.charCodeAt(end - 1))) end--;
  return end;
}

/** The character at s[i] quoted for a message, e.g. 「a」 (whole code point, so emoji stay intact). */
export function quoteCharAt(s: string, i: number): string {
  return `「${String.fromCodePoint(s.codePointAt(i) ?? 0xfffd)}」`;
}

/** Dashes people put inside long codes: - ‐ ‑ ‒ – — ― − and their full-width form. */
function isDashCode(code: number): boolean {
  return code === 0x2d || (code >= 0x2010 && code <= 0x2015) || code === 0x2212;
}

/**
 * An identifier as written (身份证号, 统一社会信用代码) reduced to its characters: full-width read
 * as ASCII, blanks and dashes anywhere dropped, letters upper-cased.
 */
export function compactCode(text: string): string {
  if (/^[0-9A-Z]*$/.test(text)) return text; // already compact: the usual case, no copy
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = toHalfWidthCode(text.charCodeAt(i));
    if (isSpaceCode(code) || isDashCode(code)) continue;
    out += String.fromCharCode(code >= 0x61 && code <= 0x7a ? code - 32 : code);
  }
  return out;
}
