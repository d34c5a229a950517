import { parseAddress } from './address.js';
import { cleanDate } from './date.js';
import { cleanNumber } from './number.js';
import { cleanPhone } from './phone.js';
import { COLUMN_TYPES, type CellValue, type ColumnType, type SheetLayout } from './types.js';

/** Address columns are replaced in the clean output by these four, in this order. */
export const ADDRESS_PARTS = ['省', '市', '区', '详细地址'] as const;

const HEADER_RULES: { type: ColumnType; include: RegExp; exclude?: RegExp }[] = [
  { type: 'phone', include: /手机|电话|联系方式|联系号码|phone|mobile|\btel\b|telephone/i, exclude: /类型|型号|品牌|type|model/i },
  { type: 'date', include: /日期|时间|生日|出生|date|birthday|\bdob\b|time/i, exclude: /时长|时间段|耗时|duration/i },
  { type: 'address', include: /地址|住址|address|\baddr\b/i, exclude: /邮箱|电子邮件|e-?mail|网址|\bip\b|ip地址|url|mac/i },
];

/** Share of sampled non-empty values that must fit a type for value-based detection. */
const VALUE_THRESHOLD = 0.8;
/** How many data rows detection looks at per sheet. */
export const DETECTION_SAMPLE_ROWS = 200;

export function columnTypeFromHeader(header: string): ColumnType | undefined {
  for (const rule of HEADER_RULES) {
    if (rule.include.test(header) && !rule.exclude?.test(header)) return rule.type;
  }
  return undefined;
}

function isEmptyCell(value: CellValue): boolean {
  return value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * Type of a column without a telling header, from sampled values. Only unambiguous evidence
 * counts: mobiles (not 7–8 digit locals, which look like any number), dates written as dates
 * (not bare numbers, which may be serials or amounts), addresses that resolve to a county.
 */
function columnTypeFromValues(values: CellValue[]): ColumnType {
  const sample = values.filter((v) => !isEmptyCell(v));
  if (sample.length === 0) return 'text';
  const share = (test: (v: CellValue) => boolean) => sample.filter(test).length / sample.length;

  if (share((v) => { const r = cleanPhone(v); return r.ok && r.value.length === 11 && r.value.startsWith('1'); }) >= VALUE_THRESHOLD) return 'phone';
  if (share((v) => v instanceof Date || (typeof v === 'string' && /\D/.test(v.trim()) && cleanDate(v).ok)) >= VALUE_THRESHOLD) return 'date';
  if (share((v) => typeof v === 'string' && parseAddress(v).ok) >= VALUE_THRESHOLD) return 'address';
  if (share((v) => cleanNumber(v).ok) >= VALUE_THRESHOLD) return 'number';
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
    const override = overrides[header];
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
 * Output columns of clean rows. A generated `X_省`… name that collides with a real column (a sheet
 * with both 地址 and 地址_省) gets a suffix, so every output column stays addressable by name.
 */
export function cleanColumnsFor(headers: readonly string[], types: readonly ColumnType[]): string[] {
  const out: string[] = [];
  headers.forEach((h, i) => {
    if (types[i] === 'address') for (const part of ADDRESS_PARTS) out.push(`${h}_${part}`);
    else out.push(h);
  });
  return uniqueHeaders(out);
}

export function buildSheetLayout(name: string, index: number, headers: readonly string[], types: readonly ColumnType[]): SheetLayout {
  return { name, index, headers: [...headers], types: [...types], cleanColumns: cleanColumnsFor(headers, types) };
}
