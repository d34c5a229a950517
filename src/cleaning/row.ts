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
import { cleanEmail } from './email.js';
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

type Outcome = { ok: true; values: readonly string[] } | { ok: false; error: Omit<FieldError, 'field'> & { column: number } };

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
  private readonly memos: (ValueMemo<CleanResult<readonly string[]>> | undefined)[];

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
      const outcome = plan.group ? this.cleanGroup(plan.group, cells) : this.cleanCell(i, plan, i < cells.length ? cells[i] : null);
      if (outcome.ok) {
        const out = outcome.values;
        for (let k = 0; k < out.length; k++) values[plan.group ? this.plans[groupColumn(plan.group, k)].offset : plan.offset + k] = out[k];
      } else {
        const { column, ...error } = outcome.error;
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

  private cleanCell(column: number, plan: ColumnPlan, cell: CellValue): Outcome {
    if (isBlank(cell)) return BLANK;
    if (plan.type === 'text' || plan.type === 'address_detail') return { ok: true, values: [trimmed(cellText(cell))] };
    const memo = this.memos[column];
    const result = memo ? memo.get(cell, () => this.cleanValue(plan, cell)) : this.cleanValue(plan, cell);
    if (result.ok) return { ok: true, values: result.value };
    return { ok: false, error: { column, value: cellText(cell), errorType: result.errorType, message: result.message } };
  }

  /** The output values of one non-blank cell (plan.width of them). */
  private cleanValue(plan: ColumnPlan, cell: CellValue): CleanResult<readonly string[]> {
    switch (plan.type) {
      case 'phone':
        return single(cleanPhone(cell));
      case 'date':
        return single(cleanDate(cell, this.dateOptions));
      case 'number':
        return single(cleanNumber(cell));
      case 'email':
        return single(cleanEmail(cell));
      case 'credit_code':
        return single(cleanCreditCode(cell));
      case 'address': {
        const parsed = parseAddress(cellText(cell));
        return parsed.ok ? { ok: true, value: addressValues(parsed.value) } : parsed;
      }
      case 'id_card': {
        const id = cleanIdCard(cell);
        if (!id.ok) return id;
        return { ok: true, value: plan.width === 1 ? [id.value.number] : [id.value.number, id.value.birthDate, id.value.gender] };
      }
      default:
        // A lone split-address division column: validated on its own.
        return single({ ok: true, value: trimmed(cellText(cell)) });
    }
  }

  /** The values of a split-address group in group order (province, city, district, detail: those present). */
  private cleanGroup(group: AddressGroup, cells: readonly CellValue[]): Outcome {
    const text = (column: number | undefined) => (column === undefined || column >= cells.length ? undefined : trimmed(cellText(cells[column])));
    const province = text(group.province);
    const city = text(group.city);
    const district = text(group.district);
    const detail = text(group.address_detail);
    const present = [province, city, district, detail].filter((t) => t !== undefined);
    if (present.every((t) => t === '')) return { ok: true, values: present.map(() => '') };
    const resolved = resolveSplitAddress(
      { province, city, district },
      { province: group.province !== undefined, city: group.city !== undefined, district: group.district !== undefined },
    );
    if (!resolved.ok) {
      const column = group[resolved.part === 'district' ? 'district' : (resolved.part ?? 'province')] ?? firstColumn(group);
      return { ok: false, error: { column, value: cellText(cells[column] ?? null), errorType: resolved.errorType, message: resolved.message } };
    }
    const out: string[] = [];
    if (group.province !== undefined) out.push(resolved.value.province);
    if (group.city !== undefined) out.push(resolved.value.city);
    if (group.district !== undefined) out.push(resolved.value.district);
    if (group.address_detail !== undefined) out.push(detail ?? '');
    return { ok: true, values: out };
  }
}

/** Types whose cleaning costs enough for a memo lookup to pay (measured in bench/cleaners.ts). */
const MEMOIZED = new Set<ColumnType>(['address', 'date']);

const BLANK: Outcome = { ok: true, values: [] };

function single(result: CleanResult<string>): CleanResult<readonly string[]> {
  return result.ok ? { ok: true, value: [result.value] } : result;
}

function addressValues(parts: AddressParts): readonly string[] {
  return [parts.province, parts.city, parts.district, parts.detail];
}

const GROUP_ORDER = ['province', 'city', 'district', 'address_detail'] as const;

/** Column of the k-th present part of a group (group order). */
function groupColumn(group: AddressGroup, k: number): number {
  let seen = 0;
  for (const part of GROUP_ORDER) {
    const column = group[part];
    if (column === undefined) continue;
    if (seen++ === k) return column;
  }
  throw new Error(`address group has no part ${k}`);
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
