import { decodeCellText } from './xml-scan.js';

/**
 * Byte-level scanning of the big xlsx parts (worksheets, shared strings), straight on the inflated
 * bytes: no decoding of whole chunks to text, no string concatenation; only the cell values are
 * turned into strings. Rules: every scan is LINEAR in its input — a tag is looked at once, a tag
 * that holds another `<` before its `>` is unclosed and rejected (CORRUPTED_FILE), and searches
 * for closing tags are bounded by the enclosing element — so a part full of unclosed tags costs
 * one pass, not one pass per tag.
 */

export const LT = 0x3c;
export const GT = 0x3e;
export const SLASH = 0x2f;

/** Buffer's own per-encoding slicers: toString(encoding, from, to) looks the encoding up on every call. */
interface EncodingSlicers {
  utf8Slice(from: number, to: number): string;
}

/** buf[from, to) decoded as UTF-8 (invalid sequences become U+FFFD, as with toString). */
export function utf8Text(buf: Buffer, from: number, to: number): string {
  return (buf as unknown as EncodingSlicers).utf8Slice(from, to);
}

/**
 * First index of `needle` in buf[from, to), or −1. A plain loop: Buffer#indexOf costs a native
 * call and a searcher set-up each time, far more than the few hundred bytes between two tags.
 */
export function findBytes(buf: Buffer, needle: Buffer, from: number, to: number): number {
  const first = needle[0];
  const n = needle.length;
  const last = to - n;
  outer: for (let i = from; i <= last; i++) {
    if (buf[i] !== first) continue;
    for (let k = 1; k < n; k++) if (buf[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** Space, tab, LF, CR, '>' or '/': what may follow an element name. */
export function isNameEndByte(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 62 || code === 47;
}

function isSpaceByte(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** True when `buf` has the element name `name` (prefix included, as bytes) at `at`, followed by a name end. */
export function nameAtBytes(buf: Buffer, at: number, name: Buffer): boolean {
  const n = name.length;
  if (at + n >= buf.length) return false;
  for (let k = 0; k < n; k++) if (buf[at + k] !== name[k]) return false;
  return isNameEndByte(buf[at + n]);
}

/** A decimal integer written as plain digits in buf[from, to) (−1 when empty, not all digits or too long). */
export function digitsValue(buf: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = buf[i] - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The attributes of a cell or row start tag the reader needs, parsed without allocating. */
export interface TagAttributes {
  /** `r`: 0-based column of a cell reference ("AB12" → 27), or the row number of a row; −1 when absent. */
  r: number;
  /** `s`: the style index (0 when absent). */
  s: number;
  /** `t`: the cell type as a code (CELL_TYPE_*). */
  t: number;
}

const CELL_TYPE_NUMBER = 0;
export const CELL_TYPE_SHARED = 1;
export const CELL_TYPE_INLINE = 2;
export const CELL_TYPE_STRING = 3;
export const CELL_TYPE_BOOLEAN = 4;
export const CELL_TYPE_ERROR = 5;
export const CELL_TYPE_DATE = 6;

function cellTypeCode(buf: Buffer, from: number, to: number): number {
  const length = to - from;
  const first = buf[from];
  if (length === 1) {
    if (first === 0x73) return CELL_TYPE_SHARED; // s
    if (first === 0x62) return CELL_TYPE_BOOLEAN; // b
    if (first === 0x65) return CELL_TYPE_ERROR; // e
    if (first === 0x64) return CELL_TYPE_DATE; // d
    return CELL_TYPE_NUMBER; // n, or unknown: read as a number when it is one
  }
  if (length === 3 && first === 0x73 && buf[from + 1] === 0x74 && buf[from + 2] === 0x72) return CELL_TYPE_STRING; // str
  if (length === 9 && first === 0x69) return CELL_TYPE_INLINE; // inlineStr
  return CELL_TYPE_NUMBER;
}

/** 0-based column of the letters at buf[from…to), −1 without letters. */
function columnOfReference(buf: Buffer, from: number, to: number): number {
  let column = 0;
  let i = from;
  for (; i < to; i++) {
    const code = buf[i] | 0x20; // lower-case
    if (code < 97 || code > 122) break;
    column = column * 26 + (code - 96);
    if (column > 1e9) break; // a forged reference; the column limit rejects it
  }
  return i === from ? -1 : column - 1;
}

/**
 * Reads the r/s/t attributes of a start tag whose attribute text is buf[from, to) into `out`.
 * `rowTag`: r is a row number rather than a cell reference. One pass over the tag.
 */
export function readTagAttributes(buf: Buffer, from: number, to: number, rowTag: boolean, out: TagAttributes): void {
  out.r = -1;
  out.s = 0;
  out.t = CELL_TYPE_NUMBER;
  let i = from;
  while (i < to) {
    while (i < to && isSpaceByte(buf[i])) i++;
    const nameStart = i;
    while (i < to && buf[i] !== 0x3d && !isSpaceByte(buf[i])) i++;
    const nameLength = i - nameStart;
    while (i < to && isSpaceByte(buf[i])) i++;
    if (i >= to || buf[i] !== 0x3d) continue;
    i++;
    while (i < to && isSpaceByte(buf[i])) i++;
    const quote = buf[i];
    if (quote !== 0x22 && quote !== 0x27) continue;
    const valueStart = i + 1;
    let valueEnd = valueStart;
    while (valueEnd < to && buf[valueEnd] !== quote) valueEnd++;
    i = valueEnd + 1;
    if (nameLength !== 1) continue;
    const name = buf[nameStart];
    if (name === 0x72) {
      // r
      if (rowTag) out.r = digitsValue(buf, valueStart, valueEnd);
      else out.r = columnOfReference(buf, valueStart, valueEnd);
    } else if (name === 0x73) {
      out.s = Math.max(0, digitsValue(buf, valueStart, valueEnd)); // s
    } else if (name === 0x74 && valueEnd > valueStart) {
      out.t = cellTypeCode(buf, valueStart, valueEnd); // t
    }
  }
}

/** Thrown (and turned into CORRUPTED_FILE by the reader) when a tag is not closed before the next one opens. */
export class UnclosedTagError extends Error {
  constructor(readonly at: number) {
    super(`unclosed XML tag at byte ${at}`);
  }
}

/**
 * The end (`>`) of the tag opened at buf[lt], which must come before the next `<`; `limit` bounds
 * the search (the enclosing element's end). Throws UnclosedTagError otherwise.
 */
function tagEndBefore(buf: Buffer, lt: number, limit: number): number {
  for (let i = lt + 1; i < limit; i++) {
    const code = buf[i];
    if (code === GT) return i;
    if (code === LT) break;
  }
  throw new UnclosedTagError(lt);
}

/**
 * The text of a rich/inline string (`<si>` or `<is>` content, buf[from, to)): every `<t>`
 * concatenated — the runs of rich text — except the phonetic guides in `<rPh>`.
 */
export function stringItemTextBytes(buf: Buffer, from: number, to: number, tName: Buffer, rPhName: Buffer, rPhClose: Buffer): string {
  let text = '';
  let i = from;
  for (;;) {
    while (i < to && buf[i] !== LT) i++;
    if (i >= to) break;
    const lt = i;
    if (nameAtBytes(buf, lt + 1, tName)) {
      const gt = tagEndBefore(buf, lt, to);
      if (buf[gt - 1] === SLASH) {
        i = gt + 1;
        continue;
      }
      let close = gt + 1;
      while (close < to && buf[close] !== LT) close++;
      text += utf8Text(buf, gt + 1, close);
      i = close;
    } else if (nameAtBytes(buf, lt + 1, rPhName)) {
      // Searched inside the item only: a run of unclosed <rPh> must not scan the rest of the part each.
      const close = findBytes(buf, rPhClose, lt, to);
      i = close === -1 ? to : close + rPhClose.length;
    } else {
      i = lt + 1;
    }
  }
  return decodeCellText(text);
}
