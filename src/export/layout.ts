import type { CleanRecord, ExceptionRecord, FieldError, SheetLayout } from '../domain/index.js';

/** Column names the exports add to the data columns (SPEC R11). */
const SHEET_COLUMN = '工作表';
const ROW_NUMBER_COLUMN = '行号';
const REASON_COLUMN = '异常原因';

/** Longest original value quoted inside 异常原因, in characters; the full value has its own column. */
const REASON_VALUE_MAX_CHARS = 50;

/** Union of the sheets' column lists, in first-seen order. */
function unionInOrder(lists: readonly (readonly string[])[]): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const name of list) seen.add(name);
  return [...seen];
}

/**
 * Columns of the clean-data export: one sheet keeps its cleanColumns; several sheets get
 * 工作表 followed by the union of their cleanColumns in first-seen order.
 */
export function cleanExportColumns(sheets: readonly SheetLayout[]): string[] {
  if (sheets.length <= 1) return [...(sheets[0]?.cleanColumns ?? [])];
  return [SHEET_COLUMN, ...unionInOrder(sheets.map((s) => s.cleanColumns))];
}

/**
 * Columns of the exception export: 行号, the original headers, 异常原因; with several sheets,
 * 工作表 first and the union of their headers in first-seen order.
 */
export function exceptionExportColumns(sheets: readonly SheetLayout[]): string[] {
  if (sheets.length <= 1) return [ROW_NUMBER_COLUMN, ...(sheets[0]?.headers ?? []), REASON_COLUMN];
  return [SHEET_COLUMN, ROW_NUMBER_COLUMN, ...unionInOrder(sheets.map((s) => s.headers)), REASON_COLUMN];
}

/** Turns cleaning records into export rows whose cells line up with the export columns. */
export interface RowMapper {
  readonly cleanColumns: readonly string[];
  readonly exceptionColumns: readonly string[];
  /** The export row of a clean record (may be the record's own values array: do not mutate). */
  clean(record: CleanRecord): readonly string[];
  exception(record: ExceptionRecord): readonly string[];
}

/** Where one sheet's values go in the export rows (positions precomputed once per file). */
interface SheetPlacement {
  name: string;
  /** Export position of each of the sheet's cleanColumns. */
  cleanPositions: Int32Array;
  /** Export position of each of the sheet's original headers. */
  exceptionPositions: Int32Array;
}

function positionsIn(columns: readonly string[], names: readonly string[]): Int32Array {
  const indexOf = new Map<string, number>();
  columns.forEach((name, i) => indexOf.set(name, i));
  return Int32Array.from(names, (name) => {
    const position = indexOf.get(name);
    if (position === undefined) throw new Error(`export column "${name}" missing from layout`);
    return position;
  });
}

/**
 * A row mapper for a processed file's sheets. Records name their sheet by SheetLayout.index;
 * values beyond a sheet's columns are dropped and missing ones become '', and cells of columns a
 * sheet does not have are ''.
 */
export function createRowMapper(sheets: readonly SheetLayout[]): RowMapper {
  const cleanColumns = cleanExportColumns(sheets);
  const exceptionColumns = exceptionExportColumns(sheets);
  if (sheets.length <= 1) return singleSheetMapper(sheets[0], cleanColumns, exceptionColumns);

  // Data columns are looked up past the added leading columns, so a sheet header that happens to be
  // called 工作表 or 行号 still lands in its own column.
  const cleanData = cleanColumns.slice(1);
  const exceptionData = exceptionColumns.slice(2, -1);
  const placements = new Map<number, SheetPlacement>();
  for (const sheet of sheets) {
    placements.set(sheet.index, {
      name: sheet.name,
      cleanPositions: positionsIn(cleanData, sheet.cleanColumns).map((p) => p + 1),
      exceptionPositions: positionsIn(exceptionData, sheet.headers).map((p) => p + 2),
    });
  }
  const placementOf = (sheetIndex: number): SheetPlacement => {
    const placement = placements.get(sheetIndex);
    if (!placement) throw new Error(`record refers to unknown sheet index ${sheetIndex}`);
    return placement;
  };
  const cleanWidth = cleanColumns.length;
  const exceptionWidth = exceptionColumns.length;

  return {
    cleanColumns,
    exceptionColumns,
    clean(record) {
      const { name, cleanPositions } = placementOf(record.sheetIndex);
      const row = new Array<string>(cleanWidth).fill('');
      row[0] = name;
      placeValues(row, cleanPositions, record.values);
      return row;
    },
    exception(record) {
      const { name, exceptionPositions } = placementOf(record.sheetIndex);
      const row = new Array<string>(exceptionWidth).fill('');
      row[0] = name;
      row[1] = String(record.rowNumber);
      placeValues(row, exceptionPositions, record.values);
      row[exceptionWidth - 1] = formatReasons(record.errors);
      return row;
    },
  };
}

function placeValues(row: string[], positions: Int32Array, values: readonly string[]): void {
  const n = Math.min(positions.length, values.length);
  for (let i = 0; i < n; i++) row[positions[i]] = values[i] ?? '';
}

function singleSheetMapper(sheet: SheetLayout | undefined, cleanColumns: string[], exceptionColumns: string[]): RowMapper {
  const cleanWidth = cleanColumns.length;
  const headerCount = exceptionColumns.length - 2;
  return {
    cleanColumns,
    exceptionColumns,
    clean(record) {
      if (sheet && record.sheetIndex !== sheet.index) {
        throw new Error(`record refers to unknown sheet index ${record.sheetIndex}`);
      }
      // Clean values already come in cleanColumns order: no copy unless the width is off.
      if (record.values.length === cleanWidth) return record.values;
      return fitToWidth(record.values, cleanWidth);
    },
    exception(record) {
      if (sheet && record.sheetIndex !== sheet.index) {
        throw new Error(`record refers to unknown sheet index ${record.sheetIndex}`);
      }
      const row = new Array<string>(headerCount + 2);
      row[0] = String(record.rowNumber);
      for (let i = 0; i < headerCount; i++) row[i + 1] = record.values[i] ?? '';
      row[headerCount + 1] = formatReasons(record.errors);
      return row;
    },
  };
}

function fitToWidth(values: readonly string[], width: number): string[] {
  const row = new Array<string>(width);
  for (let i = 0; i < width; i++) row[i] = values[i] ?? '';
  return row;
}

/**
 * The 异常原因 text: `字段: 消息（原值）` per failing field, joined by `；`. The value is shown on one
 * line and shortened to 50 characters (the full value is in its own column); it is left out
 * when blank.
 */
export function formatReasons(errors: readonly FieldError[]): string {
  let text = '';
  for (let i = 0; i < errors.length; i++) {
    const { field, message, value } = errors[i];
    const shown = reasonValue(value);
    if (i > 0) text += '；';
    // A row-level error (COLUMN_COUNT_MISMATCH) has no field: the message alone.
    if (field !== '') text += `${field}: `;
    text += shown === '' ? message : `${message}（${shown}）`;
  }
  return text;
}

function reasonValue(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ').trim();
  if (oneLine.length <= REASON_VALUE_MAX_CHARS) return oneLine;
  // Count code points so an emoji is never cut in half.
  const chars = Array.from(oneLine);
  return chars.length > REASON_VALUE_MAX_CHARS ? chars.slice(0, REASON_VALUE_MAX_CHARS).join('') + '…' : oneLine;
}
