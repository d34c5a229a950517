import { parseAddress } from './address.js';
import { cleanDate } from './date.js';
import { cleanNumber } from './number.js';
import { cleanPhone } from './phone.js';
import { trimEndIndex, trimStartIndex } from './text.js';
import type { CleanResult } from './types.js';
import type { CellValue, CleanRecord, ExceptionRecord, FieldError, SheetLayout } from '../domain/index.js';

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** A cell as text, the way a spreadsheet user would read it (dates as YYYY-MM-DD[ HH:mm:ss]). */
export function cellText(value: CellValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Number.isNaN(value.getTime())) return '';
  const date = `${value.getUTCFullYear()}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
  const h = value.getUTCHours(),
    m = value.getUTCMinutes(),
    s = value.getUTCSeconds();
  return h === 0 && m === 0 && s === 0 ? date : `${date} ${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

/** Blank: null, or text of whitespace only (the cleaners' notion of whitespace: NBSP, ideographic space, zero-width space, BOM…). */
function isBlank(value: CellValue): boolean {
  if (value === null) return true;
  return typeof value === 'string' && trimStartIndex(value) === value.length;
}

/** Text cell content without surrounding whitespace (same whitespace as isBlank). */
function trimmed(text: string): string {
  const start = trimStartIndex(text);
  const end = trimEndIndex(text, start);
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** True for a row with no content at all (such rows are skipped, not counted). */
export function isEmptyRow(cells: readonly CellValue[]): boolean {
  for (const c of cells) if (!isBlank(c)) return false;
  return true;
}

export interface RowCleanerOptions {
  /** The workbook uses the 1904 date system. */
  date1904?: boolean;
}

/** Cleans the rows of one sheet: each row becomes a CleanRecord or an ExceptionRecord. */
export class RowCleaner {
  private readonly columnCount: number;
  private readonly dateOptions: { date1904?: boolean };

  constructor(
    private readonly layout: SheetLayout,
    options: RowCleanerOptions = {},
  ) {
    this.columnCount = layout.headers.length;
    this.dateOptions = { date1904: options.date1904 };
  }

  clean(rowNumber: number, cells: readonly CellValue[]): { clean: CleanRecord } | { exception: ExceptionRecord } {
    const { headers, types } = this.layout;
    const n = this.columnCount;
    const values: string[] = [];
    let errors: FieldError[] | undefined;

    if (cells.length !== n && !(cells.length > n && cells.slice(n).every(isBlank))) {
      errors = [
        {
          field: '',
          value: '',
          errorType: 'COLUMN_COUNT_MISMATCH',
          message: `列数不一致：表头有${n}列，本行有${cells.length}列`,
        },
      ];
    }

    for (let i = 0; i < n; i++) {
      const cell = i < cells.length ? cells[i] : null;
      const type = types[i];
      if (isBlank(cell)) {
        if (type === 'address') values.push('', '', '', '');
        else values.push('');
        continue;
      }
      let result: CleanResult<string>;
      switch (type) {
        case 'phone':
          result = cleanPhone(cell);
          break;
        case 'date':
          result = cleanDate(cell, this.dateOptions);
          break;
        case 'number':
          result = cleanNumber(cell);
          break;
        case 'address': {
          const parsed = parseAddress(cellText(cell));
          if (parsed.ok) {
            const a = parsed.value;
            values.push(a.province, a.city, a.district, a.detail);
            continue;
          }
          result = parsed;
          break;
        }
        default:
          values.push(trimmed(cellText(cell)));
          continue;
      }
      if (result.ok) {
        values.push(result.value);
      } else {
        (errors ??= []).push({ field: headers[i], value: cellText(cell), errorType: result.errorType, message: result.message });
        if (type === 'address') values.push('', '', '', '');
        else values.push('');
      }
    }

    const sheetIndex = this.layout.index;
    if (errors) {
      const original = new Array<string>(Math.max(n, cells.length));
      for (let i = 0; i < original.length; i++) original[i] = i < cells.length ? cellText(cells[i]) : '';
      return { exception: { sheetIndex, rowNumber, values: original, errors } };
    }
    return { clean: { sheetIndex, rowNumber, values } };
  }
}
