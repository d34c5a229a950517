/**
 * Date cleaner (SPEC R11 "Date", section 8 "Spreadsheet dates are numbers"): many spellings of a
 * calendar date to `YYYY-MM-DD`.
 *
 * Text forms (full-width digits and punctuation accepted, surrounding blanks ignored):
 * - `2024-01-15`, `2024/1/5`, `2024.1.5` (one separator used twice, parts may be unpadded);
 * - `20240115`;
 * - `2024年1月15日` (or 号, or no suffix; blanks allowed between the parts);
 * - `01/15/2024`, `1-15-2024`, `1.15.2024`: month first, unless the first part is > 12, in which
 *   case it is day first (`15/01/2024`);
 * - any of the above followed by a time (`T` or blanks, `H:MM[:SS[.fff]]`, optional `Z`, `±HH:MM`,
 *   `±HHMM`, `AM`/`PM`): the date is kept as written, never shifted by the time zone;
 * - digits only: up to 5 (optionally with a fraction) = Excel serial number, 8 = `YYYYMMDD`,
 *   9–10 = Unix seconds, 12–13 = Unix milliseconds.
 * Numbers follow the same digit-count rules. Excel serials use the 1900 system (serial 60 is the
 * fictitious 1900-02-29 and is rejected) or the 1904 system with `date1904`; a serial's fraction
 * (time of day) is ignored. Unix timestamps are read in China time (UTC+8, no DST); a fraction of a
 * second is ignored. JS Dates (native spreadsheet date cells) are read from their UTC fields.
 *
 * Everything is computed with integer calendar arithmetic; no Date.parse, no local time zone.
 */
import { CODE_0, isSpaceCode, toHalfWidthCode, trimEndIndex, trimStartIndex } from './text.js';
import type { CleanResult } from './types.js';
import type { CellValue } from '../domain/index.js';

export interface DateCleanOptions {
  /** The workbook uses the 1904 date system: serial 0 is 1904-01-01. */
  date1904?: boolean;
}

const MIN_YEAR = 1900;
const MAX_YEAR = 2100;
const RANGE_TEXT = '有效范围为1900-01-01至2100-12-31';

/** Days from 1970-01-01 to the day before Excel's 1900-system serial 1, for serials after 60. */
const EXCEL_1900_EPOCH_DAY = -25569; // 1899-12-30
const EXCEL_1904_EPOCH_DAY = -24107; // 1904-01-01
const EXCEL_FAKE_LEAP_DAY = 60;
const SECONDS_PER_DAY = 86_400;
const CHINA_UTC_OFFSET_SECONDS = 8 * 3600;

const DASH = 0x2d;
const SLASH = 0x2f;
const DOT = 0x2e;
const COLON = 0x3a;
const PLUS = 0x2b;
const LETTER_T = 0x54;
const LETTER_Z = 0x5a;
const CHAR_NIAN = 0x5e74; // 年
const CHAR_YUE = 0x6708; // 月
const CHAR_RI = 0x65e5; // 日
const CHAR_HAO = 0x53f7; // 号

const FORMAT_HINT = '支持的格式如2024-01-15、2024/1/15、20240115、2024年1月15日、01/15/2024';

/** '00'…'31', so formatting a date is two lookups and a concatenation. */
const TWO_DIGITS: readonly string[] = Array.from({ length: 32 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));

function invalidDate(message: string): CleanResult<string> {
  return { ok: false, errorType: 'INVALID_DATE', message };
}

function unrecognized(): CleanResult<string> {
  return invalidDate(`无法识别的日期格式（${FORMAT_HINT}）`);
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** '1900-'…'2100-': the year part of every output, built once. */
const YEAR_PREFIXES: readonly string[] = Array.from({ length: MAX_YEAR - MIN_YEAR + 1 }, (_, i) => `${MIN_YEAR + i}-`);

/** Formats a date whose year is within range. */
function formatDate(year: number, month: number, day: number): string {
  return YEAR_PREFIXES[year - MIN_YEAR] + TWO_DIGITS[month] + '-' + TWO_DIGITS[day];
}

/** Why a year/month/day as written is not an acceptable date, or undefined when it is. */
function partsError(year: number, month: number, day: number): CleanResult<string> | undefined {
  if (month < 1 || month > 12) return invalidDate(`月份无效（${month}），应为1–12`);
  if (day < 1 || day > 31) return invalidDate(`日无效（${day}），应为1–31`);
  const monthLength = daysInMonth(year, month);
  if (day > monthLength) return invalidDate(`日期不存在：${year}年${month}月只有${monthLength}天`);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    return { ok: false, errorType: 'DATE_OUT_OF_RANGE', message: `年份${year}超出范围（${RANGE_TEXT}）` };
  }
  return undefined;
}

/** Checks a year/month/day as written and formats it. */
function fromParts(year: number, month: number, day: number): CleanResult<string> {
  return partsError(year, month, day) ?? { ok: true, value: formatDate(year, month, day) };
}

/** Value of s[start, stop) when it is all ASCII digits, else -1. */
function asciiDigitsValue(s: string, start: number, stop: number): number {
  let value = 0;
  for (let i = start; i < stop; i++) {
    const digit = s.charCodeAt(i) - CODE_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Fast path for text that is already `YYYY-MM-DD` (the most common spelling, and the output of
 * every earlier cleaning): validate it in place and return the same string.
 */
function cleanCanonicalDate(s: string): CleanResult<string> | undefined {
  const year = asciiDigitsValue(s, 0, 4);
  const month = asciiDigitsValue(s, 5, 7);
  const day = asciiDigitsValue(s, 8, 10);
  if (year < 0 || month < 0 || day < 0) return undefined;
  return partsError(year, month, day) ?? { ok: true, value: s };
}

/** Formats a day counted from 1970-01-01 (proleptic Gregorian, H. Hinnant's civil_from_days). */
function fromDayNumber(dayNumber: number): CleanResult<string> {
  const shifted = dayNumber + 719_468; // days since 0000-03-01
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const marchMonth = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March
  const day = dayOfYear - Math.floor((153 * marchMonth + 2) / 5) + 1;
  const month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    return {
      ok: false,
      errorType: 'DATE_OUT_OF_RANGE',
      message: `日期${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}超出范围（${RANGE_TEXT}）`,
    };
  }
  return { ok: true, value: formatDate(year, month, day) };
}

function fromExcelSerial(serial: number, date1904: boolean): CleanResult<string> {
  if (date1904) return fromDayNumber(serial + EXCEL_1904_EPOCH_DAY);
  if (serial === 0) return invalidDate('Excel日期序列号0（1900-01-00）不是有效日期');
  if (serial === EXCEL_FAKE_LEAP_DAY) {
    return invalidDate('Excel日期序列号60对应1900-02-29，这一天并不存在（Excel误把1900年当作闰年）');
  }
  // Serials before the fake leap day are one day "late" relative to the real calendar.
  return fromDayNumber(serial + EXCEL_1900_EPOCH_DAY + (serial < EXCEL_FAKE_LEAP_DAY ? 1 : 0));
}

function fromUnixSeconds(seconds: number): CleanResult<string> {
  return fromDayNumber(Math.floor((seconds + CHINA_UTC_OFFSET_SECONDS) / SECONDS_PER_DAY));
}

function fromUnixMillis(millis: number): CleanResult<string> {
  return fromDayNumber(Math.floor((millis + CHINA_UTC_OFFSET_SECONDS * 1000) / (SECONDS_PER_DAY * 1000)));
}

function fromCompactDigits(yyyymmdd: number): CleanResult<string> {
  return fromParts(Math.floor(yyyymmdd / 10_000), Math.floor(yyyymmdd / 100) % 100, yyyymmdd % 100);
}

/** Reads an integer by how many digits its integer part has (the digit-count rules above). */
function fromDigitCount(value: number, digitCount: number, date1904: boolean): CleanResult<string> {
  if (digitCount <= 5) return fromExcelSerial(Math.floor(value), date1904);
  if (digitCount === 8 && Number.isInteger(value)) return fromCompactDigits(value);
  if (digitCount === 9 || digitCount === 10) return fromUnixSeconds(Math.floor(value));
  if (digitCount === 12 || digitCount === 13) return fromUnixMillis(Math.floor(value));
  return invalidDate(`无法识别的日期数字（${digitCount}位）：5位以内为Excel序列号，8位为年月日，9–10位为秒级时间戳，12–13位为毫秒级时间戳`);
}

/** Digits in the integer part of a non-negative finite number (1 for 0.x). */
function integerDigitCount(value: number): number {
  let count = 1;
  for (let limit = 10; value >= limit && count < 309; limit *= 10) count++;
  return count;
}

function cleanDateNumber(value: number, date1904: boolean): CleanResult<string> {
  if (!Number.isFinite(value)) return invalidDate('日期数值无效');
  if (value < 0) return invalidDate(`日期数值不能为负数（${value}）`);
  return fromDigitCount(value, integerDigitCount(value), date1904);
}

// ---- text ---------------------------------------------------------------------------------

function digitAt(s: string, i: number): number {
  return toHalfWidthCode(s.charCodeAt(i)) - CODE_0;
}

/** End of the run of (half- or full-width) digits starting at i. */
function digitRunEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const digit = digitAt(s, i);
    if (digit < 0 || digit > 9) break;
    i++;
  }
  return i;
}

function digitsValue(s: string, start: number, stop: number): number {
  let value = 0;
  for (let i = start; i < stop; i++) value = value * 10 + digitAt(s, i);
  return value;
}

function skipSpaces(s: string, i: number, end: number): number {
  while (i < end && isSpaceCode(s.charCodeAt(i))) i++;
  return i;
}

function codeAt(s: string, i: number, end: number): number {
  return i < end ? toHalfWidthCode(s.charCodeAt(i)) : -1;
}

/**
 * True when s[i, end) is a time of day that may follow a date: `T` or blanks, then
 * H:MM[:SS[.fff]], then optionally blanks and Z / ±HH[:MM] / AM / PM.
 */
function isTimeSuffix(s: string, i: number, end: number): boolean {
  if (codeAt(s, i, end) === LETTER_T) i++;
  else if (i < end && isSpaceCode(s.charCodeAt(i))) i = skipSpaces(s, i, end);
  else return false;
  const hourEnd = digitRunEnd(s, i, end);
  if (hourEnd - i < 1 || hourEnd - i > 2 || codeAt(s, hourEnd, end) !== COLON) return false;
  const hour = digitsValue(s, i, hourEnd);
  const minuteEnd = digitRunEnd(s, hourEnd + 1, end);
  if (minuteEnd - hourEnd !== 3 || digitsValue(s, hourEnd + 1, minuteEnd) > 59) return false;
  i = minuteEnd;
  if (codeAt(s, i, end) === COLON) {
    const secondEnd = digitRunEnd(s, i + 1, end);
    if (secondEnd - i !== 3 || digitsValue(s, i + 1, secondEnd) > 60) return false; // 60: leap second
    i = secondEnd;
    if (codeAt(s, i, end) === DOT) {
      const fractionEnd = digitRunEnd(s, i + 1, end);
      if (fractionEnd === i + 1) return false;
      i = fractionEnd;
    }
  }
  i = skipSpaces(s, i, end);
  if (i === end) return hour <= 23;
  const code = codeAt(s, i, end);
  if (code === LETTER_Z) return hour <= 23 && i + 1 === end;
  if (code === PLUS || code === DASH) {
    // ±HH, ±HHMM or ±HH:MM
    const offsetEnd = digitRunEnd(s, i + 1, end);
    const offsetLength = offsetEnd - i - 1;
    if (offsetEnd === end) return hour <= 23 && (offsetLength === 2 || offsetLength === 4);
    if (offsetLength !== 2 || codeAt(s, offsetEnd, end) !== COLON) return false;
    return hour <= 23 && digitRunEnd(s, offsetEnd + 1, end) === end && end - offsetEnd === 3;
  }
  // AM / PM, any case
  const meridiem = code | 0x20;
  if ((meridiem === 0x61 || meridiem === 0x70) && i + 2 === end && (codeAt(s, i + 1, end) | 0x20) === 0x6d) {
    return hour >= 1 && hour <= 12;
  }
  return false;
}

function finish(s: string, i: number, end: number, year: number, month: number, day: number): CleanResult<string> {
  if (i < end && !isTimeSuffix(s, i, end)) {
    return invalidDate(`日期后面有无法识别的内容（只允许时间，如10:30:00）；${FORMAT_HINT}`);
  }
  return fromParts(year, month, day);
}

function isDateSeparator(code: number): boolean {
  return code === DASH || code === SLASH || code === DOT;
}

/** `2024-1-5`, `2024/01/05`, `2024.1.5`: the first part (4 digits) ends at yearEnd. */
function parseYearFirst(s: string, yearEnd: number, end: number, separator: number): CleanResult<string> {
  const monthStart = yearEnd + 1;
  const monthEnd = digitRunEnd(s, monthStart, end);
  if (monthEnd - monthStart < 1 || monthEnd - monthStart > 2 || codeAt(s, monthEnd, end) !== separator) {
    return unrecognized();
  }
  const dayEnd = digitRunEnd(s, monthEnd + 1, end);
  if (dayEnd - monthEnd < 2 || dayEnd - monthEnd > 3) return unrecognized();
  return finish(s, dayEnd, end, digitsValue(s, yearEnd - 4, yearEnd), digitsValue(s, monthStart, monthEnd), digitsValue(s, monthEnd + 1, dayEnd));
}

/** `2024年1月15日` / `2024 年 1 月 15 号` / `2024年1月15`; i is just after 年. */
function parseChinese(s: string, year: number, i: number, end: number): CleanResult<string> {
  const monthStart = skipSpaces(s, i, end);
  const monthEnd = digitRunEnd(s, monthStart, end);
  if (monthEnd - monthStart < 1 || monthEnd - monthStart > 2) return unrecognized();
  const yue = skipSpaces(s, monthEnd, end);
  if (codeAt(s, yue, end) !== CHAR_YUE) return unrecognized();
  const dayStart = skipSpaces(s, yue + 1, end);
  const dayEnd = digitRunEnd(s, dayStart, end);
  if (dayEnd - dayStart < 1 || dayEnd - dayStart > 2) return unrecognized();
  let next = dayEnd;
  const suffix = codeAt(s, skipSpaces(s, dayEnd, end), end);
  if (suffix === CHAR_RI || suffix === CHAR_HAO) next = skipSpaces(s, dayEnd, end) + 1;
  return finish(s, next, end, year, digitsValue(s, monthStart, monthEnd), digitsValue(s, dayStart, dayEnd));
}

/** `01/15/2024`, `1-15-2024`, `15.01.2024`: first part (1–2 digits) is [start, firstEnd). */
function parseMonthOrDayFirst(s: string, start: number, firstEnd: number, end: number, separator: number): CleanResult<string> {
  const secondEnd = digitRunEnd(s, firstEnd + 1, end);
  if (secondEnd - firstEnd < 2 || secondEnd - firstEnd > 3 || codeAt(s, secondEnd, end) !== separator) {
    return unrecognized();
  }
  const yearEnd = digitRunEnd(s, secondEnd + 1, end);
  if (yearEnd - secondEnd !== 5) {
    return yearEnd - secondEnd === 3 ? invalidDate('年份必须写全4位（如01/15/2024）') : unrecognized();
  }
  const first = digitsValue(s, start, firstEnd);
  const second = digitsValue(s, firstEnd + 1, secondEnd);
  const year = digitsValue(s, secondEnd + 1, yearEnd);
  // Month first (US) unless the first part cannot be a month.
  return first > 12 ? finish(s, yearEnd, end, year, second, first) : finish(s, yearEnd, end, year, first, second);
}

function cleanDateText(s: string, date1904: boolean): CleanResult<string> {
  if (s.length === 10 && s.charCodeAt(4) === DASH && s.charCodeAt(7) === DASH) {
    const canonical = cleanCanonicalDate(s);
    if (canonical !== undefined) return canonical;
  }
  const start = trimStartIndex(s);
  const end = trimEndIndex(s, start);
  if (start === end) return invalidDate('日期为空');
  const firstEnd = digitRunEnd(s, start, end);
  const firstLength = firstEnd - start;
  if (firstLength === 0) return unrecognized();
  if (firstEnd === end) {
    return firstLength > 13 ? fromDigitCount(0, firstLength, date1904) : fromDigitCount(digitsValue(s, start, end), firstLength, date1904);
  }
  const separator = codeAt(s, firstEnd, end);
  if (separator === DOT && firstLength <= 5) {
    // `45306.5`: an Excel serial with a time-of-day fraction (not `2024.1.5`, which goes on).
    const fractionEnd = digitRunEnd(s, firstEnd + 1, end);
    if (fractionEnd === end && fractionEnd > firstEnd + 1) {
      return fromExcelSerial(digitsValue(s, start, firstEnd), date1904);
    }
  }
  if (firstLength === 4) {
    if (isDateSeparator(separator)) return parseYearFirst(s, firstEnd, end, separator);
    const nian = skipSpaces(s, firstEnd, end);
    if (codeAt(s, nian, end) === CHAR_NIAN) return parseChinese(s, digitsValue(s, start, firstEnd), nian + 1, end);
    return unrecognized();
  }
  if (firstLength <= 2 && isDateSeparator(separator)) {
    return parseMonthOrDayFirst(s, start, firstEnd, end, separator);
  }
  return unrecognized();
}

/** Normalizes a date cell to `YYYY-MM-DD` (SPEC R11 "Date"). */
export function cleanDate(value: CellValue, options?: DateCleanOptions): CleanResult<string> {
  if (typeof value === 'string') return cleanDateText(value, options?.date1904 === true);
  if (typeof value === 'number') return cleanDateNumber(value, options?.date1904 === true);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return invalidDate('无效的日期值');
    return fromParts(value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate());
  }
  if (value === null) return invalidDate('日期为空');
  return invalidDate('日期不能是布尔值（TRUE/FALSE）');
}
