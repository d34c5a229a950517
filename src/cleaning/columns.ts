import { parseAddress } from './address.js';
import { cleanDate } from './date.js';
import { cleanNumber } from './number.js';
import { cleanPhone } from './phone.js';
import { type CellValue, COLUMN_TYPES, type ColumnType, type SheetLayout } from '../domain/index.js';

/** Address columns are replaced in the clean output by these four, in this order. */
export const ADDRESS_PARTS = ['省', '市', '区', '详细地址'] as const;

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

export function columnTypeFromHeader(header: string): ColumnType | undefined {
  const words = headerWords(header);
  for (const rule of HEADER_RULES) {
    const included = rule.chinese.test(header) || words.some(rule.word);
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
function columnTypeFromValues(values: CellValue[]): ColumnType {
  const sample = values.filter((v) => !isEmptyCell(v));
  if (sample.length === 0) return 'text';
  const share = (test: (v: CellValue) => boolean) => sample.filter(test).length / sample.length;

  if (share(isMobile) >= VALUE_THRESHOLD) return 'phone';
  if (share(isWrittenDate) >= VALUE_THRESHOLD) return 'date';
  if (share((v) => typeof v === 'string' && parseAddress(v).ok) >= VALUE_THRESHOLD) return 'address';
  if (share(isQuantity) >= VALUE_THRESHOLD) return 'number';
  return 'text';
}

/**
 * Column types of a sheet: an explicit override wins, then the header name, then the sampled values.
 * `overrides` is keyed by header name (as it appears in the file, after making headers unique).
 */
export function detectColumnTypes(
  headers: readonly string[],
  sampleRows: readonly (readonly CellValue[])[],
  overrides: Readonly<Record<string, ColumnType>> = {},
): ColumnType[] {
  return headers.map((header, col) => {
    const override = Object.hasOwn(overrides, header) ? overrides[header] : undefined;
    if (override) return override;
    return columnTypeFromHeader(header) ?? columnTypeFromValues(sampleRows.map((row) => row[col] ?? null));
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
 * Output columns of clean rows. Real columns keep their names; a generated `X_省`… name that
 * collides with one (a sheet with both 地址 and a column called 地址_省) gets `_2`, `_3`…, so every
 * output column stays addressable by name. `headers` are unique (see uniqueHeaders).
 */
export function cleanColumnsFor(headers: readonly string[], types: readonly ColumnType[]): string[] {
  const taken = new Set(headers);
  const out: string[] = [];
  headers.forEach((header, i) => {
    if (types[i] !== 'address') {
      out.push(header);
      return;
    }
    for (const part of ADDRESS_PARTS) {
      const base = `${header}_${part}`;
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
      taken.add(name);
      out.push(name);
    }
  });
  return out;
}

export function buildSheetLayout(name: string, index: number, headers: readonly string[], types: readonly ColumnType[]): SheetLayout {
  return { name, index, headers: [...headers], types: [...types], cleanColumns: cleanColumnsFor(headers, types) };
}
