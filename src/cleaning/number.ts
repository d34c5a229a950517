/**
 * Number cleaner for 'number' columns: a canonical decimal string.
 *
 * Accepted text: blanks around, an optional sign (+ - − and full-width), digits with optional
 * thousands separators (`1,234,567` — groups of exactly three, so `1,23` is rejected rather than
 * guessed to be a decimal comma), an optional decimal point (`.5`, `5.` allowed), an optional
 * exponent (`1.5e3`), and an optional trailing `%`, which divides by 100 (`50%` → `0.5`): that is
 * what the same cell holds when a spreadsheet formatted as percent is read as a number, so CSV and
 * xlsx versions of a sheet clean to the same value. Full-width digits and punctuation are read as
 * ASCII. Currency symbols, units and words are rejected.
 *
 * Output: no sign for positives, `-` for negatives, no thousands separators, no leading zeros
 * (`0.5`), no trailing fractional zeros (`1.50` → `1.5`, `2.0` → `2`), `-0` → `0`. Text digits are
 * kept exactly (no float rounding: `12345678901234567890` stays as is). Plain notation is used
 * unless more than MAX_PADDING_ZEROS zeros would have to be written, then `d.ddde±N`.
 */
import { CODE_0, CODE_9, quoteCharAt, toHalfWidthCode, trimEndIndex, trimStartIndex } from './text.js';
import type { CleanResult } from './types.js';
import type { CellValue } from '../domain/index.js';

const PLUS = 0x2b;
const MINUS = 0x2d;
const UNICODE_MINUS = 0x2212;
const COMMA = 0x2c;
const DOT = 0x2e;
const PERCENT = 0x25;
const MAX_PADDING_ZEROS = 30;
const MAX_EXPONENT_DIGITS = 6;

function invalidNumber(message: string): CleanResult<string> {
  return { ok: false, errorType: 'INVALID_NUMBER', message };
}

function isAsciiDigit(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

/**
 * True when s is already canonical ASCII (`-12.5`, `0.25`, `7`), so it can be returned as is.
 * This is the common case and costs one scan without allocating.
 */
function isCanonical(s: string): boolean {
  const length = s.length;
  let i = s.charCodeAt(0) === MINUS ? 1 : 0;
  if (i === length) return false;
  const firstDigit = s.charCodeAt(i);
  if (!isAsciiDigit(firstDigit)) return false;
  // A leading zero is canonical only as `0` or `0.x`; `-0` alone is not.
  if (firstDigit === CODE_0 && i + 1 < length && s.charCodeAt(i + 1) !== DOT) return false;
  let dot = -1;
  let nonZeroSeen = firstDigit !== CODE_0;
  for (i++; i < length; i++) {
    const code = s.charCodeAt(i);
    if (code === DOT) {
      if (dot >= 0) return false;
      dot = i;
    } else if (!isAsciiDigit(code)) {
      return false;
    } else if (code !== CODE_0) {
      nonZeroSeen = true;
    }
  }
  if (!nonZeroSeen && s.charCodeAt(0) === MINUS) return false; // -0, -0.0…
  if (dot < 0) return true;
  return dot < length - 1 && s.charCodeAt(length - 1) !== CODE_0; // no `5.` and no `1.50`
}

/**
 * Writes a decimal from its digits and where the decimal point goes: the value is
 * 0.d1d2d3… × 10^pointPosition (pointPosition counts digits before the point and may be negative
 * or beyond the digits).
 */
function formatDecimal(negative: boolean, digits: string, pointPosition: number): string {
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === CODE_0) first++;
  if (first === digits.length) return '0';
  let last = digits.length;
  while (digits.charCodeAt(last - 1) === CODE_0) last--;
  const significant = digits.slice(first, last);
  const point = pointPosition - first; // digits of `significant` before the point
  const sign = negative ? '-' : '';
  if (point <= 0) {
    if (-point > MAX_PADDING_ZEROS) return sign + scientific(significant, point - 1);
    return `${sign}0.${'0'.repeat(-point)}${significant}`;
  }
  if (point >= significant.length) {
    if (point - significant.length > MAX_PADDING_ZEROS) return sign + scientific(significant, point - 1);
    return sign + significant + '0'.repeat(point - significant.length);
  }
  return `${sign}${significant.slice(0, point)}.${significant.slice(point)}`;
}

function scientific(significant: string, exponent: number): string {
  const mantissa = significant.length > 1 ? `${significant[0]}.${significant.slice(1)}` : significant;
  return `${mantissa}e${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
}

function cleanNumberValue(value: number): CleanResult<string> {
  if (!Number.isFinite(value)) return invalidNumber('数值无效（不是有限的数）');
  const text = String(value); // shortest round-trip digits; `-0` prints as `0`
  const exponentAt = text.indexOf('e');
  if (exponentAt < 0) return { ok: true, value: text };
  // 1e21 and beyond, or below 1e-6: JS switched to exponent notation; write it out.
  const negative = value < 0;
  const mantissa = text.slice(negative ? 1 : 0, exponentAt);
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const integerDigits = dot < 0 ? mantissa.length : dot;
  return { ok: true, value: formatDecimal(negative, digits, integerDigits + Number(text.slice(exponentAt + 1))) };
}

function cleanNumberText(s: string): CleanResult<string> {
  if (s.length > 0 && isCanonical(s)) return { ok: true, value: s };
  let i = trimStartIndex(s);
  const end = trimEndIndex(s, i);
  if (i === end) return invalidNumber('数值为空');

  let negative = false;
  let code = toHalfWidthCode(s.charCodeAt(i));
  if (code === PLUS || code === MINUS || code === UNICODE_MINUS) {
    negative = code !== PLUS;
    i++;
  }

  let digits = '';
  let runStart = -1; // current run of ASCII digits, copied with one slice
  let integerDigits = 0;
  let fractionDigits = 0;
  let inFraction = false;
  let groupLength = 0; // digits since the last thousands separator
  let grouped = false;
  for (; i < end; i++) {
    const raw = s.charCodeAt(i);
    if (isAsciiDigit(raw)) {
      if (runStart < 0) runStart = i;
    } else {
      if (runStart >= 0) {
        digits += s.slice(runStart, i);
        runStart = -1;
      }
      code = toHalfWidthCode(raw);
      if (isAsciiDigit(code)) {
        digits += String.fromCharCode(code);
      } else if (code === COMMA && !inFraction) {
        if (groupLength === 0 || groupLength > 3 || (grouped && groupLength !== 3)) {
          return invalidNumber('千分位分隔符位置不正确（应每三位一组，如1,234,567）');
        }
        grouped = true;
        groupLength = 0;
        continue;
      } else if (code === DOT && !inFraction) {
        inFraction = true;
        continue;
      } else {
        break;
      }
    }
    if (inFraction) fractionDigits++;
    else {
      integerDigits++;
      groupLength++;
    }
  }
  if (runStart >= 0) digits += s.slice(runStart, i);
  if (grouped && groupLength !== 3) {
    return invalidNumber('千分位分隔符位置不正确（应每三位一组，如1,234,567）');
  }
  if (integerDigits + fractionDigits === 0) {
    return invalidNumber(i < end ? `不是有效的数值：包含非法字符${quoteCharAt(s, i)}` : '数值中没有数字');
  }

  let exponent = 0;
  code = i < end ? toHalfWidthCode(s.charCodeAt(i)) : -1;
  if (code === 0x65 || code === 0x45) {
    // e / E exponent
    i++;
    let exponentNegative = false;
    code = i < end ? toHalfWidthCode(s.charCodeAt(i)) : -1;
    if (code === PLUS || code === MINUS || code === UNICODE_MINUS) {
      exponentNegative = code !== PLUS;
      i++;
    }
    const exponentStart = i;
    for (; i < end; i++) {
      code = toHalfWidthCode(s.charCodeAt(i));
      if (!isAsciiDigit(code)) break;
      exponent = exponent * 10 + (code - CODE_0);
    }
    if (i === exponentStart) return invalidNumber('科学计数法的指数缺少数字');
    if (i - exponentStart > MAX_EXPONENT_DIGITS) return invalidNumber('科学计数法的指数过大');
    if (exponentNegative) exponent = -exponent;
  }

  while (i < end && s.charCodeAt(i) === 0x20) i++;
  if (i < end && toHalfWidthCode(s.charCodeAt(i)) === PERCENT) {
    exponent -= 2;
    i++;
  }
  if (i < end) return invalidNumber(`不是有效的数值：包含非法字符${quoteCharAt(s, i)}`);
  return { ok: true, value: formatDecimal(negative, digits, integerDigits + exponent) };
}

/** Normalizes a number cell to a canonical decimal string (see the file comment). */
export function cleanNumber(value: CellValue): CleanResult<string> {
  if (typeof value === 'number') return cleanNumberValue(value);
  if (typeof value === 'string') return cleanNumberText(value);
  if (value === null) return invalidNumber('数值为空');
  if (typeof value === 'boolean') return invalidNumber('数值不能是布尔值（TRUE/FALSE）');
  return invalidNumber('数值不能是日期');
}
