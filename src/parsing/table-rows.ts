import type { RawRow, SheetHeader, TableEvent } from './types.js';
import { batchTooLarge, columnLimitExceeded, rowLimitExceeded } from './parse-errors.js';
import type { ParseLimits } from './types.js';
import type { CellValue } from '../domain/index.js';

/** Rules shared by every reader: what a blank row is, how headers are made, how limits count. */

export const DEFAULT_BATCH_SIZE = 1000;

function isBlankCell(value: CellValue): boolean {
  return value === null || value === '' || (typeof value === 'string' && value.trim() === '');
}

/** A row with no visible content (CSV blank line, "  ", ",,,", or a spreadsheet row of empty cells). */
export function isBlankRow(cells: readonly CellValue[]): boolean {
  for (let i = 0; i < cells.length; i++) if (!isBlankCell(cells[i])) return false;
  return true;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Header text of a cell: headers are names, so dates and numbers become their usual text. */
function headerText(value: CellValue): string {
  if (value === null) return '';
  if (value instanceof Date) {
    const date = `${value.getUTCFullYear()}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
    const hasTime = value.getUTCHours() + value.getUTCMinutes() + value.getUTCSeconds() > 0;
    return hasTime ? `${date} ${pad2(value.getUTCHours())}:${pad2(value.getUTCMinutes())}:${pad2(value.getUTCSeconds())}` : date;
  }
  return String(value).trim();
}

/** Header names of a header row: trimmed text, trailing empty header cells dropped. */
export function headersOf(cells: readonly CellValue[]): string[] {
  const headers = cells.map(headerText);
  while (headers.length > 0 && headers[headers.length - 1] === '') headers.pop();
  return headers;
}

/** Characters of the text cells of a row (numbers, dates and booleans are small). */
function rowChars(cells: readonly CellValue[]): number {
  let chars = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (typeof cell === 'string') chars += cell.length;
  }
  return chars;
}

/** Bytes a non-text cell is counted as in a batch. */
const CELL_OVERHEAD_BYTES = 8;

/**
 * Counts data rows over all sheets and batches them into 'rows' events; enforces maxRows,
 * maxColumns and maxBatchBytes (text held by one batch) the same way for every format.
 */
export class RowBatcher {
  private batch: RawRow[] = [];
  private batchBytes = 0;
  dataRows = 0;
  sheetCount = 0;

  constructor(
    private readonly limits: ParseLimits,
    private readonly batchSize: number,
  ) {}

  checkColumns(columns: number, sheet?: string): void {
    if (columns > this.limits.maxColumns) throw columnLimitExceeded(this.limits.maxColumns, columns, sheet);
  }

  sheetEvent(name: string, headers: string[]): TableEvent {
    this.checkColumns(headers.length, name);
    const sheet: SheetHeader = { name, index: this.sheetCount++, headers };
    return { kind: 'sheet', sheet };
  }

  /**
   * Adds a data row (`chars`: its text characters, counted here when the reader has not);
   * returns a full batch to yield, if one is ready.
   */
  add(rowNumber: number, cells: CellValue[], chars = rowChars(cells), invalidEncoding = false): TableEvent | undefined {
    if (++this.dataRows > this.limits.maxRows) throw rowLimitExceeded(this.limits.maxRows);
    this.batchBytes += 2 * chars + CELL_OVERHEAD_BYTES * cells.length;
    if (this.batchBytes > this.limits.maxBatchBytes) throw batchTooLarge(this.limits.maxBatchBytes, rowNumber);
    this.batch.push(invalidEncoding ? { rowNumber, cells, invalidEncoding: true } : { rowNumber, cells });
    return this.batch.length >= this.batchSize ? this.flush() : undefined;
  }

  /** The pending rows as an event (call before a new sheet and at the end). */
  flush(): TableEvent | undefined {
    if (this.batch.length === 0) return undefined;
    const rows = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    return { kind: 'rows', rows };
  }
}
