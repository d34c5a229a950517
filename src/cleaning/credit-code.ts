/**
 * Unified social credit codes (统一社会信用代码, GB 32100-2015).
 *
 * 18 characters from the GB 32100 set (digits and upper-case letters without I, O, S, V, Z):
 * registration authority, organization type, 6-digit region, the 9-character organization code
 * (GB 11714: 8 characters and its own check character, 0–9 or X), and a check character.
 * Blanks and dashes inside are dropped, full-width is read as ASCII, letters are upper-cased.
 * Valid when both check characters hold; each failure names its reason (长度错误, 含有无效字符,
 * 组织机构代码校验位错误, 校验位错误).
 */
import { cellText } from './cell-text.js';
import { compactCode } from './text.js';
import type { CleanResult } from './types.js';
import type { CellValue } from '../domain/index.js';

/** The GB 32100 character set; a character's value is its index. */
export const CREDIT_CODE_CHARACTERS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** GB 11714 weights of the organization code's 8 body characters. */
const ORGANIZATION_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
const ORGANIZATION_START = 8;
const LENGTH = 18;
/** Value of each ASCII character in the GB 32100 set (-1: not in it). */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < CREDIT_CODE_CHARACTERS.length; i++) VALUES[CREDIT_CODE_CHARACTERS.charCodeAt(i)] = i;

function invalid(message: string): CleanResult<string> {
  return { ok: false, errorType: 'INVALID_CREDIT_CODE', message };
}

/** GB 32100 check character of the first 17 characters (all from the set). */
export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += VALUES[first17.charCodeAt(i)] * WEIGHTS[i];
  return CREDIT_CODE_CHARACTERS[(31 - (sum % 31)) % 31];
}

/** GB 11714 check character of an organization code's 8 body characters (digits 0–9, letters A=10…Z=35). */
export function organizationCheckCharacter(body: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const code = body.charCodeAt(i);
    sum += (code <= 57 ? code - 48 : code - 55) * ORGANIZATION_WEIGHTS[i]; // 0–9, A=10 … Z=35
  }
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

export function cleanCreditCode(value: CellValue): CleanResult<string> {
  const code = compactCode(cellText(value));
  if (code.length !== LENGTH) return invalid(`统一社会信用代码长度错误（${code.length}位，应为18位）`);
  for (let i = 0; i < LENGTH; i++) {
    const unit = code.charCodeAt(i);
    if (unit >= 128 || VALUES[unit] < 0) {
      return invalid(`统一社会信用代码含有无效字符「${code[i]}」（第${i + 1}位）`);
    }
  }
  const organization = code.slice(ORGANIZATION_START, ORGANIZATION_START + 9);
  if (organizationCheckCharacter(organization) !== organization[8]) return invalid('统一社会信用代码中的组织机构代码校验位错误');
  if (creditCodeCheckCharacter(code) !== code[17]) return invalid('统一社会信用代码校验位错误');
  return { ok: true, value: code };
}
