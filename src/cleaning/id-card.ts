/**
 * Resident identity card numbers (公民身份号码, GB 11643-1999).
 *
 * Accepted: 18 characters — 6-digit region code, 8-digit birth date, 3-digit sequence, check
 * character (0–9 or X) — or a first-generation 15-digit number (YYMMDD birth date, no check),
 * which is upgraded to 18 (19YY, computed check character). Blanks and dashes inside are dropped,
 * full-width is read as ASCII, `x` becomes `X`.
 *
 * Valid when: the first two digits are a province-level code (GB/T 2260, plus 71/81/82 for
 * Taiwan/Hong Kong/Macao and 83 for the residence permits of Taiwan residents), the birth date is a
 * real calendar date from 1900-01-01 up to today, and the check character is right. Each failure
 * names its reason: 长度错误, 含有无效字符, 地区码无效, 出生日期无效, 校验位错误.
 *
 * Derived: birth date (YYYY-MM-DD) and gender (男 for an odd sequence number, 女 for an even one).
 */
import { cellText } from './cell-text.js';
import { compactCode } from './text.js';
import type { CleanResult } from './types.js';
import type { CellValue } from '../domain/index.js';

export interface IdCard {
  /** The 18-character number. */
  number: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  gender: '男' | '女';
}

const PROVINCE_CODES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
  '71', '81', '82', '83',
]); // prettier-ignore

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = '10X98765432';
const EARLIEST_BIRTH = '19000101';

function invalid(message: string): CleanResult<IdCard> {
  return { ok: false, errorType: 'INVALID_ID_CARD', message };
}

/** The check character of the first 17 digits. */
export function idCardCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK_CHARACTERS[sum % 11];
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Today as YYYYMMDD in the process's time zone (no birth date can be later), recomputed after midnight. */
let today = { stamp: '', until: 0 };
function todayStamp(): string {
  const now = Date.now();
  if (now >= today.until) {
    const date = new Date(now);
    const midnight = new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1).getTime();
    today = { stamp: `${date.getFullYear()}${pad2(date.getMonth() + 1)}${pad2(date.getDate())}`, until: midnight };
  }
  return today.stamp;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealDate(stamp: string): boolean {
  const year = Number(stamp.slice(0, 4));
  const month = Number(stamp.slice(4, 6));
  const day = Number(stamp.slice(6, 8));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0);
}

/** The number as written, without blanks/dashes, ASCII, upper-case. Numeric cells count only when exact. */
function normalized(value: CellValue): string {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? String(value) : cellText(value);
  return compactCode(cellText(value));
}

export function cleanIdCard(value: CellValue): CleanResult<IdCard> {
  let id = normalized(value);
  if (id.length === 15) {
    if (!/^\d{15}$/.test(id)) return invalid('身份证号含有无效字符（15位号码应全为数字）');
    const first17 = `${id.slice(0, 6)}19${id.slice(6)}`;
    id = first17 + idCardCheckCharacter(first17);
  } else if (id.length !== 18) {
    return invalid(`身份证号长度错误（${id.length}位，应为18位或15位）`);
  } else if (!/^\d{17}[\dX]$/.test(id)) {
    return invalid('身份证号含有无效字符（前17位应为数字，末位为数字或X）');
  }
  if (!PROVINCE_CODES.has(id.slice(0, 2))) return invalid(`身份证号地区码无效（${id.slice(0, 2)}不是省级行政区代码）`);
  const birth = id.slice(6, 14);
  if (!isRealDate(birth) || birth < EARLIEST_BIRTH || birth > todayStamp()) {
    return invalid(`身份证号出生日期无效（${birth}）`);
  }
  if (idCardCheckCharacter(id) !== id[17]) return invalid('身份证号校验位错误');
  return {
    ok: true,
    value: {
      number: id,
      birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
      gender: (id.charCodeAt(16) - 48) % 2 === 1 ? '男' : '女',
    },
  };
}
