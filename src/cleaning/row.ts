/**
 * Cleans the rows of one sheet: each row becomes a CleanRecord (values in the sheet's cleanColumns
 * order) or an ExceptionRecord (original values as text, every failing field).
 *
 * Rules:
 * - Each column is cleaned by its type; an address column gives four values, an id_card column
 *   three (the number, its birth date and gender) unless the sheet already has those two columns.
 * - Split-address columns (province/city/district/address_detail) are validated together per
 *   group (see address-columns.ts, split-address.ts); the group's errors are listed at its first column.
 * - Results of the costly cleaners are memoized per distinct cell text within the sheet (see
 *   ValueMemo), so repeated addresses and dates are parsed once; results are identical either way.
 * - A row the parser could not decode (flags.invalidEncoding) is an exception with INVALID_ENCODING.
 */
import { parseAddress } from './address.js';
import { addressGroupsOf, type AddressGroup } from './address-columns.js';
import { cellText } from './cell-text.js';
import { hasIdCardColumns } from './columns.js';
import { cleanCreditCode } from './credit-code.js';
import { cleanDate } from './date.js';
import { cleanEmail, emailDomainMemo } from './email.js';
import { cleanIdCard } from './id-card.js';
import { cleanNumber } from './number.js';
import { cleanPhone } from './phone.js';
import { resolveSplitAddress } from './split-address.js';
import { trimEndIndex, trimStartIndex } from './text.js';
import type { AddressParts, CleanResult } from './types.js';
import { ValueMemo } from './value-memo.js';
import type { CellValue, CleanRecord, ColumnType, ExceptionRecord, FieldError, SheetLayout } from '../domain/index.js';

export { cellText } from './cell-text.js';

/** Message of a row that held bytes the file's encoding could not decode. */
const INVALID_ENCODING_MESSAGE = '文件编码错误：该行含有无法解码的字符';

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
  /** Distinct values remembered per column (0 turns memoizing off). */
  memoEntriesPerColumn?: number;
}

/** What the parser knows about a row beyond its cells. */
export interface RowFlags {
  /** The row held bytes that could not be decoded (shown as U+FFFD). */
  invalidEncoding?: boolean;
}

export type RowResult = { clean: CleanRecord } | { exception: ExceptionRecord };

/** A failed cell or address group: the column the error is listed at, and the error. */
type ColumnError = Omit<FieldError, 'field'> & { column: number };

/** The cleaned text of a cell, or its values when the column gives several (address, id_card). */
type CellResult = CleanResult<string | readonly string[]>;

/** How one column is cleaned: its output position and width, and the cleaning (undefined: grouped). */
interface ColumnPlan {
  type: ColumnType;
  offset: number;
  width: number;
  /** Set on the first column of a split-address group. */
  group?: AddressGroup;
  /** Part of a group cleaned at its first column. */
  grouped: boolean;
}

const ADDRESS_WIDTH = 4;
const ID_CARD_WIDTH = 3;

export class RowCleaner {
  private readonly columnCount: number;
  private readonly outputWidth: number;
  private readonly plans: ColumnPlan[];
  private readonly dateOptions: { date1904?: boolean };
  private readonly memos: (ValueMemo<CellResult> | undefined)[];
  private readonly emailDomains = emailDomainMemo();
  /** Per column, its cleaning as one function made once, handed to its memo (not a new closure per cell, on the hottest path). */
  private readonly cleaners: ((cell: CellValue) => CellResult)[];

  constructor(
    private readonly layout: SheetLayout,
    options: RowCleanerOptions = {},
  ) {
    this.columnCount = layout.headers.length;
    this.outputWidth = layout.cleanColumns.length;
    this.dateOptions = { date1904: options.date1904 };
    this.plans = planColumns(layout);
    const memoEntries = options.memoEntriesPerColumn ?? ValueMemo.DEFAULT_ENTRIES;
    this.memos = this.plans.map((plan) => (memoEntries > 0 && MEMOIZED.has(plan.type) ? new ValueMemo(memoEntries) : undefined));
    this.cleaners = this.plans.map((plan) => (cell) => this.cleanValue(plan, cell));
  }

  clean(rowNumber: number, cells: readonly CellValue[], flags?: RowFlags): RowResult {
    const { headers } = this.layout;
    const n = this.columnCount;
    const values = new Array<string>(this.outputWidth).fill('');
    let errors: FieldError[] | undefined;

    if (flags?.invalidEncoding) {
      errors = [{ field: '', value: '', errorType: 'INVALID_ENCODING', message: INVALID_ENCODING_MESSAGE }];
    }
    if (cells.length !== n && !(cells.length > n && cells.slice(n).every(isBlank))) {
      (errors ??= []).push({
        field: '',
        value: '',
        errorType: 'COLUMN_COUNT_MISMATCH',
        message: `列数不一致：表头有${n}列，本行有${cells.length}列`,
      });
    }

    for (let i = 0; i < n; i++) {
      const plan = this.plans[i];
      if (plan.grouped) continue;
      // Results are written straight into `values`: no object per cell on this path.
      const failed = plan.group ? this.cleanGroup(plan.group, cells, values) : this.cleanCell(i, plan, i < cells.length ? cells[i] : null, values);
      if (failed) {
        const { column, ...error } = failed;
        (errors ??= []).push({ field: headers[column], ...error });
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

  /** Cleans one cell into `values` (plan.width of them from plan.offset; a blank cell leaves them empty). */
  private cleanCell(column: number, plan: ColumnPlan, cell: CellValue, values: string[]): ColumnError | undefined {
    if (isBlank(cell)) return undefined;
    if (plan.type === 'text' || plan.type === 'address_detail') {
      values[plan.offset] = trimmed(cellText(cell));
      return undefined;
    }
    const memo = this.memos[column];
    const result = memo ? memo.get(cell, this.cleaners[column]) : this.cleanValue(plan, cell);
    if (!result.ok) return { column, value: cellText(cell), errorType: result.errorType, message: result.message };
    const out = result.value;
    if (typeof out === 'string') values[plan.offset] = out;
    else for (let k = 0; k < out.length; k++) values[plan.offset + k] = out[k];
    return undefined;
  }

  /** The output value(s) of one non-blank cell (plan.width of them). */
  private cleanValue(plan: ColumnPlan, cell: CellValue): CellResult {
    switch (plan.type) {
      case 'phone':
        return cleanPhone(cell);
      case 'date':
        return cleanDate(cell, this.dateOptions);
      case 'number':
        return cleanNumber(cell);
      case 'email':
        return cleanEmail(cell, this.emailDomains);
      case 'credit_code':
        return cleanCreditCode(cell);
      case 'address': {
        const parsed = parseAddress(cellText(cell));
        return parsed.ok ? { ok: true, value: addressValues(parsed.value) } : parsed;
      }
      case 'id_card': {
        const id = cleanIdCard(cell);
        if (!id.ok) return id;
        return { ok: true, value: plan.width === 1 ? id.value.number : [id.value.number, id.value.birthDate, id.value.gender] };
      }
      default:
        // A lone split-address division column: validated on its own.
        return { ok: true, value: trimmed(cellText(cell)) };
    }
  }

  /** Cleans a split-address group into `values`, at its columns' offsets (those present of province, city, district, detail). */
  private cleanGroup(group: AddressGroup, cells: readonly CellValue[], values: string[]): ColumnError | undefined {
    const text = (column: number | undefined) => (column === undefined || column >= cells.length ? undefined : trimmed(cellText(cells[column])));
    const province = text(group.province);
    const city = text(group.city);
    const district = text(group.district);
    const detail = text(group.address_detail);
    const present = [province, city, district, detail].filter((t) => t !== undefined);
    if (present.every((t) => t === '')) return undefined;
    const resolved = resolveSplitAddress(
      { province, city, district },
      { province: group.province !== undefined, city: group.city !== undefined, district: group.district !== undefined },
    );
    if (!resolved.ok) {
      const column = group[resolved.part === 'district' ? 'district' : (resolved.part ?? 'province')] ?? firstColumn(group);
      return { column, value: cellText(cells[column] ?? null), errorType: resolved.errorType, message: resolved.message };
    }
    const at = (column: number) => this.plans[column].offset;
    if (group.province !== undefined) values[at(group.province)] = resolved.value.province;
    if (group.city !== undefined) values[at(group.city)] = resolved.value.city;
    if (group.district !== undefined) values[at(group.district)] = resolved.value.district;
    if (group.address_detail !== undefined) values[at(group.address_detail)] = detail ?? '';
    return undefined;
  }
}

/** Types whose cleaning costs enough for a memo lookup to pay (measured in bench/cleaners.ts). */
const MEMOIZED = new Set<ColumnType>(['address', 'date']);

function addressValues(parts: AddressParts): readonly string[] {
  return [parts.province, parts.city, parts.district, parts.detail];
}

function firstColumn(group: AddressGroup): number {
  return Math.min(...Object.values(group));
}

/** Output offset and width of every column, and the split-address groups (placed at their first column). */
function planColumns(layout: SheetLayout): ColumnPlan[] {
  const { headers, types } = layout;
  let offset = 0;
  const plans = headers.map((header, column): ColumnPlan => {
    const type = types[column];
    const width = type === 'address' ? ADDRESS_WIDTH : type === 'id_card' && !hasIdCardColumns(header, headers) ? ID_CARD_WIDTH : 1;
    const plan = { type, offset, width, grouped: false };
    offset += width;
    return plan;
  });
  for (const group of addressGroupsOf(headers, types)) {
    const first = firstColumn(group);
    for (const column of Object.values(group)) plans[column].grouped = column !== first;
    plans[first].group = group;
  }
  return plans;
}
