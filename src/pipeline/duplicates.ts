/**
 * Exact duplicate rows (processFile option `dedupe: 'exact'`, issue 12): a row whose cleaned
 * values equal those of an earlier clean row of the same sheet goes to the exceptions with
 * DUPLICATE_ROW and the earlier row's number.
 *
 * Rules:
 * - Compared after cleaning: `138-1234-5678` and `13812345678` are the same phone, so rows that
 *   differ only in how they were written are duplicates.
 * - Only clean rows take part: a row with errors is an exception already, and never hides a later
 *   clean row.
 * - Memory is bounded per distinct row: a 16-byte MD5 digest of the values (a one-byte string of
 *   16 characters) and the first row number, whatever the row's width (~80 bytes per row).
 */
import { createHash } from 'node:crypto';
import { cellText } from '../cleaning/row.js';
import type { CellValue, CleanRecord, ExceptionRecord } from '../domain/index.js';

export type DedupeMode = 'exact';

function duplicateMessage(firstRowNumber: number): string {
  return `重复行（与第 ${firstRowNumber} 行相同）`;
}

/** Remembers the clean rows of one sheet; a repeat becomes an exception. */
export class DuplicateFinder {
  private readonly firstRow = new Map<string, number>();

  /** The exception for `record` when an earlier row had the same values; undefined for a first occurrence. */
  check(record: CleanRecord, cells: readonly CellValue[], columnCount: number): ExceptionRecord | undefined {
    const key = createHash('md5').update(JSON.stringify(record.values)).digest().toString('latin1');
    const first = this.firstRow.get(key);
    if (first === undefined) {
      this.firstRow.set(key, record.rowNumber);
      return undefined;
    }
    const values = Array.from({ length: Math.max(columnCount, cells.length) }, (_, i) => (i < cells.length ? cellText(cells[i]) : ''));
    return {
      sheetIndex: record.sheetIndex,
      rowNumber: record.rowNumber,
      values,
      errors: [{ field: '', value: '', errorType: 'DUPLICATE_ROW', message: duplicateMessage(first) }],
    };
  }
}
