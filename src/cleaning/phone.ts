/**
 * Phone cleaner (SPEC R11 "Phone"): mainland mobiles and landlines to bare digits.
 *
 * Accepted:
 * - mobile: 11 digits `1[3-9]\d{9}`, optionally after +86 / 0086 / 86 (also written `(+86)`);
 * - landline with area code: 0 + area code + number, 10–12 digits in all; after +86 / 0086 the
 *   trunk 0 may be left out (`+86 10 12345678` → `01012345678`);
 * - local landline: 7–8 digits starting with 2–9 (Chinese local numbers never start with 0 or 1:
 *   0 is the trunk prefix, 1 starts mobiles and service numbers, so `13812345` is a short mobile).
 * Separators (spaces, dashes, dots, brackets of any width, slashes, middle dots) are dropped and
 * full-width digits and ＋ are read as ASCII. Output is digits only.
 *
 * Spreadsheet numbers: a numeric cell loses a landline's leading 0 (`01012345678` → 1012345678),
 * so an integer that is invalid as it stands but is a plausible landline once the trunk 0 is put
 * back is accepted with it. Text such as `1.3812345678E+10` (a CSV written from a sheet showing
 * scientific notation) is accepted when no digit was lost; `13812345678.0` (a float column written
 * by pandas) is read as its integer part.
 */
import { CODE_0, CODE_9, isSpaceCode, quoteCharAt, toHalfWidthCode } from './text.js';
import type { CleanResult } from './types.js';
import type { CellValue } from '../domain/index.js';

const CODE_1 = 49;
const CODE_2 = 50;
const CODE_3 = 51;
const CODE_6 = 54;
const CODE_8 = 56;
const PLUS = 43;

function invalidPhone(message: string): CleanResult<string> {
  return { ok: false, errorType: 'INVALID_PHONE', message };
}

/** Codes (already half-width) that people put between the digits of a phone number. */
function isPhoneSeparator(code: number): boolean {
  switch (code) {
    case 0x2d: // -
    case 0x2e: // .
    case 0x28: // (
    case 0x29: // )
    case 0x5b: // [
    case 0x5d: // ]
    case 0x7b: // {
    case 0x7d: // }
    case 0x2f: // /
    case 0x5c: // \
    case 0x5f: // _
    case 0xb7: // ·
    case 0x30fb: // ・
    case 0x3010: // 【
    case 0x3011: // 】
    case 0x3014: // 〔
    case 0x3015: // 〕
    case 0x2212: // − (minus sign)
      return true;
    default:
      // ‐ ‑ ‒ – — ― (hyphens and dashes) and every kind of blank
      return (code >= 0x2010 && code <= 0x2015) || isSpaceCode(code);
  }
}

/** x / X / # / 转 / 分机 / ext after digits mark an extension, which this column cannot hold. */
function isExtensionMarker(s: string, i: number, code: number): boolean {
  if (code === 0x78 || code === 0x58 || code === 0x23 || code === 0x8f6c) return true; // x X # 转
  const next = i + 1 < s.length ? toHalfWidthCode(s.charCodeAt(i + 1)) : 0;
  if (code === 0x5206) return next === 0x673a; // 分机
  return (code === 0x65 || code === 0x45) && (next === 0x78 || next === 0x58); // ext
}

/** `digits` starts with 1: it can only be a mobile. */
function checkMobile(digits: string, context: string): CleanResult<string> {
  if (digits.length !== 11) {
    return invalidPhone(`${context}手机号码位数不正确（${digits.length}位，应为11位）`);
  }
  const second = digits.charCodeAt(1);
  if (second < CODE_3) {
    return invalidPhone(`${context}手机号码第二位不能是${digits[1]}（应为3–9）`);
  }
  return { ok: true, value: digits };
}

function checkLandlineWithTrunk(digits: string, context: string): CleanResult<string> {
  const length = digits.length;
  if (digits.charCodeAt(1) === CODE_0) {
    return invalidPhone(`${context}区号不能以00开头（00是国际长途前缀）`);
  }
  if (length < 10 || length > 12) {
    return invalidPhone(`${context}固定电话号码位数不正确（${length}位，含区号应为10–12位）`);
  }
  return { ok: true, value: digits };
}

/** Digits that followed a +86 / 0086 country code. */
function checkAfterCountryCode(rest: string, written: string): CleanResult<string> {
  const context = `${written}后的`;
  if (rest.length === 0) return invalidPhone(`${written}后面缺少号码`);
  const first = rest.charCodeAt(0);
  if (first === CODE_0) return checkLandlineWithTrunk(rest, context);
  // Only Beijing's area code (10) starts with 1, so a 1 followed by anything else is a mobile.
  if (first === CODE_1 && rest.charCodeAt(1) !== CODE_0) return checkMobile(rest, context);
  const withTrunk = '0' + rest;
  if (withTrunk.length < 10 || withTrunk.length > 12) {
    return invalidPhone(`${context}固定电话号码位数不正确（区号加号码${rest.length}位，应为9–11位）`);
  }
  return { ok: true, value: withTrunk };
}

/** Classifies the bare digits of a number; `plus` says a leading + was written. */
function classifyDigits(digits: string, plus: boolean): CleanResult<string> {
  const length = digits.length;
  if (length === 0) return invalidPhone('电话号码中没有数字');
  const first = digits.charCodeAt(0);
  if (plus) {
    if (first !== CODE_8 || digits.charCodeAt(1) !== CODE_6) {
      return invalidPhone('只支持中国大陆号码：国家/地区代码不是+86');
    }
    return checkAfterCountryCode(digits.slice(2), '+86');
  }
  if (first === CODE_1) return checkMobile(digits, '');
  if (first === CODE_0) {
    if (digits.charCodeAt(1) === CODE_0) {
      if (digits.startsWith('0086')) return checkAfterCountryCode(digits.slice(4), '0086');
      return invalidPhone('只支持中国大陆号码：00开头的是国际号码');
    }
    return checkLandlineWithTrunk(digits, '');
  }
  if (length === 7 || length === 8) return { ok: true, value: digits };
  if (length === 13 && first === CODE_8 && digits.charCodeAt(1) === CODE_6 && digits.charCodeAt(2) === CODE_1) {
    return checkMobile(digits.slice(2), '86后的');
  }
  return invalidPhone(`电话号码位数不正确（${length}位）：手机号码应为11位，固定电话应为7–8位或含区号10–12位`);
}

/**
 * The trunk 0 a numeric spreadsheet cell dropped, put back when the result is a plausible
 * landline: 010 + 8 digits, 02X + 8 digits, or 0 + 3-digit area code (3–9) + 7–8 digits.
 */
function restoreTrunkZero(digits: string): string | undefined {
  const length = digits.length;
  const first = digits.charCodeAt(0);
  if (first === CODE_1) return digits.charCodeAt(1) === CODE_0 && length === 10 ? '0' + digits : undefined;
  if (first === CODE_2) return length === 10 ? '0' + digits : undefined;
  if (first >= CODE_3 && first <= CODE_9 && (length === 10 || length === 11)) return '0' + digits;
  return undefined;
}

function cleanPhoneNumberValue(value: number): CleanResult<string> {
  if (!Number.isFinite(value) || !Number.isInteger(value)) {
    return invalidPhone(`电话号码不能是小数或非数值（${value}）`);
  }
  if (value <= 0) return invalidPhone(`电话号码不能是零或负数（${value}）`);
  if (!Number.isSafeInteger(value)) {
    return invalidPhone(`电话号码位数不正确（${String(value).length}位）`);
  }
  const digits = String(value);
  const result = classifyDigits(digits, false);
  if (result.ok) return result;
  const restored = restoreTrunkZero(digits);
  return restored === undefined ? result : { ok: true, value: restored };
}

const SCIENTIFIC_TEXT = /^\s*(\d)(?:\.(\d+))?[eE]\+?(\d{1,2})\s*$/;
const FLOAT_TEXT = /^\s*(\d+)\.0+\s*$/;

/**
 * Second chance for text that a spreadsheet or a dataframe wrote as a float. Runs only when the
 * normal reading failed, so it costs nothing on the hot path.
 */
function repairFloatText(text: string): CleanResult<string> | undefined {
  const float = FLOAT_TEXT.exec(text);
  if (float !== null) return cleanPhoneNumberValue(Number(float[1]));
  const scientific = SCIENTIFIC_TEXT.exec(text);
  if (scientific === null) return undefined;
  const mantissa = scientific[1] + (scientific[2] ?? '');
  const exponent = Number(scientific[3]);
  if (mantissa.length - 1 > exponent) return invalidPhone('电话号码不能是小数');
  if (mantissa.length - 1 < exponent) {
    return invalidPhone('号码以科学计数法保存且已丢失位数，请把该列设为文本格式后重新导出');
  }
  return cleanPhoneNumberValue(Number(mantissa));
}

function cleanPhoneText(text: string): CleanResult<string> {
  const length = text.length;
  let digits = '';
  let runStart = -1; // start of the current run of ASCII digits, copied with one slice
  let plus = false;
  for (let i = 0; i < length; i++) {
    const raw = text.charCodeAt(i);
    if (raw >= CODE_0 && raw <= CODE_9) {
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart >= 0) {
      digits += text.slice(runStart, i);
      runStart = -1;
    }
    const code = toHalfWidthCode(raw);
    if (code >= CODE_0 && code <= CODE_9) {
      digits += String.fromCharCode(code);
    } else if (isPhoneSeparator(code)) {
      continue;
    } else if (code === PLUS) {
      if (plus || digits.length > 0) return repairFloatText(text) ?? invalidPhone('加号只能出现在号码开头');
      plus = true;
    } else if (digits.length > 0 && isExtensionMarker(text, i, code)) {
      return invalidPhone('电话号码带有分机号，请只保留主号码');
    } else {
      return repairFloatText(text) ?? invalidPhone(`电话号码包含非法字符${quoteCharAt(text, i)}`);
    }
  }
  if (runStart >= 0) digits = runStart === 0 ? text : digits + text.slice(runStart);
  if (digits.length === 0 && !plus) {
    return invalidPhone(length === 0 || text.trim().length === 0 ? '电话号码为空' : '电话号码中没有数字');
  }
  const result = classifyDigits(digits, plus);
  if (result.ok) return result;
  return repairFloatText(text) ?? result;
}

/** Normalizes a mainland-China phone number to bare digits (SPEC R11 "Phone"). */
export function cleanPhone(value: CellValue): CleanResult<string> {
  if (typeof value === 'string') return cleanPhoneText(value);
  if (typeof value === 'number') return cleanPhoneNumberValue(value);
  if (value === null) return invalidPhone('电话号码为空');
  if (typeof value === 'boolean') return invalidPhone('电话号码不能是布尔值（TRUE/FALSE）');
  return invalidPhone('电话号码不能是日期');
}
