import { parseAddress } from './address.js';
import { detectAddressPartColumns } from './address-columns.js';
import { cleanCreditCode } from './credit-code.js';
import { cleanDate } from './date.js';
import { cleanEmail } from './email.js';
import { cleanIdCard } from './id-card.js';
import { cleanNumber } from './number.js';
import { cleanPhone } from './phone.js';
import { type CellValue, COLUMN_TYPES, type ColumnType, type SheetLayout } from '../domain/index.js';

/** Address columns are replaced in the clean output by these four, in this order. */
export const ADDRESS_PARTS = ['省', '市', '区', '详细地址'] as const;
/** An id_card column X is followed in the clean output by X_出生日期 and X_性别 (derived from the number). */
const ID_CARD_DERIVED = ['出生日期', '性别'] as const;

/**
 * Whether the sheet already has the derived columns of id_card column `header` (a clean output
 * cleaned again): they are then not added a second time, so cleaning stays idempotent.
 */
export function hasIdCardColumns(header: string, headers: readonly string[]): boolean {
  return ID_CARD_DERIVED.every((part) => headers.includes(`${header}_${part}`));
}

/**
 * Header keywords (SPEC R11). Chinese keywords match anywhere in the header; English ones match
 * whole words of the header (split at non-letters and camelCase), so `hotel`, `update_by` or
 * `candidate` are not typed while `tel_no`, `PhoneNumber` and `IP_Address` are read correctly.
 * A header matching a rule's exclusion is not of that type (电话类型 is a category, 邮箱地址 an
 * e-mail, 出生地 a place) and falls through to the next rule, then to the sampled values.
 */
interface HeaderRule {
  type: ColumnType;
  chinese: RegExp;
  word: (word: string) => boolean;
  chineseExclude: RegExp;
  wordExclude: (word: string) => boolean;
  /** The whole header as lower-case letters only (`id_card` → idcard, `E-Mail` → email). */
  compact?: ReadonlySet<string>;
}

const NOT_DATE_WORDS = new Set([
  'update',
  'candidate',
  'validate',
  'mandate',
  'runtime',
  'overtime',
  'lifetime',
  'uptime',
  'downtime',
  'daytime',
  'anytime',
  'realtime',
  'onetime',
]);
const NOT_ADDRESS_PREFIXES = ['email', 'mail', 'ip', 'mac', 'web', 'url', 'wallet'];

const HEADER_RULES: HeaderRule[] = [
  {
    type: 'id_card',
    chinese: /身份证|公民身份号码/,
    word: () => false,
    // 身份证号_出生日期 is the derived date, 身份证地址 an address, 身份证有效期 a date.
    chineseExclude: /出生|日期|性别|地址|住址|有效期|签发|类型|照片|姓名/,
    wordExclude: () => false,
    compact: new Set(['idcard', 'idno', 'idcardno', 'idcardnumber']),
  },
  {
    type: 'credit_code',
    chinese: /统一社会信用代码|信用代码/,
    word: (w) => w === 'uscc',
    chineseExclude: /$^/,
    wordExclude: () => false,
    compact: new Set(['creditcode', 'unifiedsocialcreditcode', 'socialcreditcode']),
  },
  {
    type: 'email',
    chinese: /邮箱|电子邮件|邮件地址/,
    word: (w) => w === 'email' || w === 'mail',
    chineseExclude: /$^/,
    wordExclude: () => false,
    compact: new Set(['email', 'emailaddress', 'mailaddress']),
  },
  {
    type: 'phone',
    chinese: /手机|电话|座机|联系方式|联系号码/,
    word: (w) => /^(?:mobile|cell|tele)?(?:phone|mobile|tel)(?:s|no|num|number)?$/.test(w),
    chineseExclude: /类型|型号|品牌|归属|运营商|区号/,
    wordExclude: (w) => /^(?:type|model|brand|carrier)$/.test(w),
  },
  {
    type: 'date',
    chinese: /日期|时间|生日|出生/,
    word: (w) =>
      /^(?:date|time|datetime|timestamp|birthday|birthdate|dob)$/.test(w) ||
      w.startsWith('date') ||
      ((w.endsWith('date') || w.endsWith('time')) && !NOT_DATE_WORDS.has(w)),
    chineseExclude: /时长|时间段|耗时|时区|次数|出生地/,
    wordExclude: (w) => /^(?:duration|timezone|times)$/.test(w),
  },
  {
    type: 'address',
    chinese: /地址|住址/,
    word: (w) => w === 'addr' || w.endsWith('address') || w.endsWith('addr'),
    chineseExclude: /邮箱|电子邮件|邮件|网址|网站/,
    wordExclude: (w) => NOT_ADDRESS_PREFIXES.some((p) => w === p || (w.startsWith(p) && /(?:address|addr)$/.test(w))),
  },
];

/** English words of a header, lower case: `contactPhone_2` → contact, phone; `IPAddress` → ip, address. */
function headerWords(header: string): string[] {
  return header
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w !== '');
}

/** Share of sampled non-empty values that must fit a type for value-based detection. */
const VALUE_THRESHOLD = 0.8;
/** How many data rows detection looks at per sheet. */
export const DETECTION_SAMPLE_ROWS = 200;
/** Digit strings longer than this are identifiers (身份证号, bank cards), not quantities. */
const MAX_QUANTITY_DIGITS = 15;

/** Headers that name an ID card number only when the values are ID card numbers (证件号码 may be a passport column). */
const WEAK_ID_CARD_HEADER = /证件号/;

/** Longest cell text value-based detection looks at; a longer cell is evidence of nothing (a 999,000-character cell never reaches the address matcher). */
const DEFAULT_DETECTION_MAX_VALUE_CHARS = 200;

export function columnTypeFromHeader(header: string): ColumnType | undefined {
  const words = headerWords(header);
  const compact = header.toLowerCase().replace(/[^a-z]/g, '');
  for (const rule of HEADER_RULES) {
    const included = rule.chinese.test(header) || words.some(rule.word) || (rule.compact?.has(compact) ?? false);
    if (included && !rule.chineseExclude.test(header) && !words.some(rule.wordExclude)) return rule.type;
  }
  return undefined;
}

function isEmptyCell(value: CellValue): boolean {
  return value === null || (typeof value === 'string' && value.trim() === '');
}

function isMobile(value: CellValue): boolean {
  const r = cleanPhone(value);
  return r.ok && r.value.length === 11 && r.value.startsWith('1');
}

/** A plain number in text (`12.5`, `1,234`): never evidence of a date, even where the date cleaner would read it as a serial. */
function isNumberText(value: string): boolean {
  return cleanNumber(value).ok;
}

/** A date written as a date: a native date cell, or text with separators or 年月日 (not a bare or decimal number). */
function isWrittenDate(value: CellValue): boolean {
  if (value instanceof Date) return true;
  return typeof value === 'string' && /\D/.test(value.trim()) && !isNumberText(value) && cleanDate(value).ok;
}

/**
 * A quantity rather than an identifier: zero-padded codes (邮编 010010, 工号 000123) and long
 * digit strings (身份证号, bank card numbers) would lose their leading zeros or their `X` as numbers.
 */
function isQuantity(value: CellValue): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'string') return false;
  const text = value.normalize('NFKC').trim();
  if (/^[+-]?0\d/.test(text)) return false;
  if ((text.match(/\d/g)?.length ?? 0) > MAX_QUANTITY_DIGITS) return false;
  return isNumberText(text);
}

/**
 * Type of a column without a telling header, from sampled values. Only unambiguous evidence
 * counts: mobiles (not 7–8 digit locals, which look like any number), dates written as dates
 * (not bare numbers, which may be serials or amounts), addresses that resolve to a county,
 * quantities (not identifiers). Anything else, or a mix, is text.
 */
function columnTypeFromValues(values: CellValue[], maxValueChars: number): ColumnType {
  const sample = values.filter((v) => !isEmptyCell(v));
  if (sample.length === 0) return 'text';
  const plausible = sample.filter((v) => typeof v !== 'string' || v.length <= maxValueChars);
  const share = (test: (v: CellValue) => boolean) => plausible.filter(test).length / sample.length;

  if (share((v) => typeof v === 'string' && cleanEmail(v).ok) >= VALUE_THRESHOLD) return 'email';
  if (share((v) => cleanIdCard(v).ok) >= VALUE_THRESHOLD) return 'id_card';
  if (share((v) => typeof v === 'string' && cleanCreditCode(v).ok) >= VALUE_THRESHOLD) return 'credit_code';
  if (share(isMobile) >= VALUE_THRESHOLD) return 'phone';
  if (share(isWrittenDate) >= VALUE_THRESHOLD) return 'date';
  if (share((v) => typeof v === 'string' && parseAddress(v).ok) >= VALUE_THRESHOLD) return 'address';
  if (share(isQuantity) >= VALUE_THRESHOLD) return 'number';
  return 'text';
}

export interface DetectionOptions {
  /** Cells longer than this (characters) count as fitting no type; default DEFAULT_DETECTION_MAX_VALUE_CHARS. */
  maxValueChars?: number;
}

/**
 * Column types of a sheet: an explicit override wins, then split-address headers that form a group
 * (省份/城市/区县/详细地址, see address-columns.ts), then the header name, then the sampled values.
 * `overrides` is keyed by header name (as it appears in the file, after making headers unique).
 */
export function detectColumnTypes(
  headers: readonly string[],
  sampleRows: readonly (readonly CellValue[])[],
  overrides: Readonly<Record<string, ColumnType>> = {},
  options: DetectionOptions = {},
): ColumnType[] {
  const maxValueChars = options.maxValueChars ?? DEFAULT_DETECTION_MAX_VALUE_CHARS;
  const addressParts = detectAddressPartColumns(headers);
  return headers.map((header, col) => {
    const override = Object.hasOwn(overrides, header) ? overrides[header] : undefined;
    if (override) return override;
    const part = addressParts.get(col);
    if (part) return part;
    const values = () => sampleRows.map((row) => row[col] ?? null);
    if (WEAK_ID_CARD_HEADER.test(header) && columnTypeFromHeader(header) === undefined) {
      return columnTypeFromValues(values(), maxValueChars) === 'id_card' ? 'id_card' : 'text';
    }
    return columnTypeFromHeader(header) ?? columnTypeFromValues(values(), maxValueChars);
  });
}

export function isColumnType(value: unknown): value is ColumnType {
  return typeof value === 'string' && (COLUMN_TYPES as readonly string[]).includes(value);
}

/**
 * Headers as the outputs use them: trimmed, an empty header becomes `列N` (its 1-based position),
 * and repeated names get `_2`, `_3`… so that every column can be addressed by name.
 */
export function uniqueHeaders(raw: readonly string[]): string[] {
  const seen = new Set<string>();
  return raw.map((h, i) => {
    const base = h.trim() || `列${i + 1}`;
    let name = base;
    for (let n = 2; seen.has(name); n++) name = `${base}_${n}`;
    seen.add(name);
    return name;
  });
}

/**
 * Output columns of clean rows. Real columns keep their names; an address column X becomes
 * X_省 X_市 X_区 X_详细地址, an id_card column X is followed by X_出生日期 X_性别 (unless the sheet
 * has them, see hasIdCardColumns). A generated name that collides with a real column (a sheet with
 * both 地址 and a column called 地址_省) gets `_2`, `_3`…, so every output column stays addressable
 * by name. `headers` are unique (see uniqueHeaders).
 */
export function cleanColumnsFor(headers: readonly string[], types: readonly ColumnType[]): string[] {
  const taken = new Set(headers);
  const out: string[] = [];
  const generate = (header: string, parts: readonly string[]) => {
    for (const part of parts) {
      const base = `${header}_${part}`;
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
      taken.add(name);
      out.push(name);
    }
  };
  headers.forEach((header, i) => {
    if (types[i] === 'address') {
      generate(header, ADDRESS_PARTS);
      return;
    }
    out.push(header);
    if (types[i] === 'id_card' && !hasIdCardColumns(header, headers)) generate(header, ID_CARD_DERIVED);
  });
  return out;
}

export function buildSheetLayout(name: string, index: number, headers: readonly string[], types: readonly ColumnType[]): SheetLayout {
  return { name, index, headers: [...headers], types: [...types], cleanColumns: cleanColumnsFor(headers, types) };
}
