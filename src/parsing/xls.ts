import { readFile } from 'node:fs/promises';
import XLSX from '@e965/xlsx';
import { isAppError } from '../errors.js';
import { fileAccessError } from './detect.js';
import { excelSerialToDate } from './excel-dates.js';
import {
  alreadyIterated,
  MAX_XLS_FILE_BYTES,
  columnLimitExceeded,
  corruptedFile,
  emptyFile,
  errnoCode,
  fileTooLarge,
  lineTooLong,
  throwIfAborted,
} from './parse-errors.js';
import { DEFAULT_BATCH_SIZE, RowBatcher, headersOf, isBlankRow } from './table-rows.js';
import type { OpenOptions, ParseLimits, TableDetails, TableEvent, TableReader } from './types.js';
import type { CellValue } from '../domain/index.js';

type SheetCell = XLSX.CellObject | undefined;

/**
 * .xls (BIFF5/BIFF8) reader on SheetJS. Dates are read as serial numbers with their number format
 * and converted here, because SheetJS's cellDates builds Dates in the process time zone (the UTC
 * fields then depend on TZ); the conversion is the same as for xlsx.
 */
class XlsTableReader implements TableReader {
  readonly details: TableDetails;
  private readonly batchSize: number;
  private readonly signal?: AbortSignal;
  private workbook?: XLSX.WorkBook;
  private iterated = false;
  private finished = false;
  private dataRows = 0;
  private readonly estimate: number;

  constructor(
    workbook: XLSX.WorkBook,
    private readonly limits: ParseLimits,
    options: OpenOptions,
  ) {
    this.workbook = workbook;
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.signal = options.signal;
    const date1904 = Boolean(workbook.Workbook?.WBProps?.date1904);
    this.details = { format: 'xls', sheetCount: workbook.SheetNames.length, date1904, removedNulBytes: 0 };
    this.estimate = workbook.SheetNames.reduce((sum, name) => {
      const ref = workbook.Sheets[name]?.['!ref'];
      return sum + (ref ? Math.max(0, XLSX.utils.decode_range(ref).e.r - XLSX.utils.decode_range(ref).s.r) : 0);
    }, 0);
  }

  estimatedTotalRows(): number | undefined {
    return this.finished ? this.dataRows : Math.max(this.dataRows, this.estimate);
  }

  async close(): Promise<void> {
    this.workbook = undefined; // the only resource: the parsed workbook in memory
  }

  [Symbol.asyncIterator](): AsyncIterator<TableEvent> {
    if (this.iterated) throw alreadyIterated();
    this.iterated = true;
    return this.read();
  }

  private async *read(): AsyncGenerator<TableEvent> {
    const rows = new RowBatcher(this.limits, this.batchSize);
    try {
      const workbook = this.workbook;
      if (!workbook) return;
      for (const name of workbook.SheetNames) {
        const sheet = workbook.Sheets[name];
        const ref = sheet?.['!ref'];
        if (!sheet || !ref) continue;
        const range = XLSX.utils.decode_range(ref);
        const data = (sheet['!data'] ?? []) as SheetCell[][];
        let headerLength = -1;
        for (let r = range.s.r; r <= range.e.r; r++) {
          if (!this.workbook) return; // closed while iterating
          const cells = this.rowCells(data[r] ?? [], range.e.c, r + 1, name);
          if (isBlankRow(cells)) continue;
          if (headerLength < 0) {
            const headers = headersOf(cells);
            headerLength = headers.length;
            const pending = rows.flush();
            if (pending) yield pending;
            yield rows.sheetEvent(name, headers);
            continue;
          }
          while (cells.length < headerLength) cells.push(null);
          const batch = rows.add(r + 1, cells);
          this.dataRows = rows.dataRows;
          if (batch) {
            throwIfAborted(this.signal);
            yield batch;
          }
        }
      }
      const last = rows.flush();
      if (last) yield last;
      if (rows.sheetCount === 0) throw emptyFile('工作簿中没有任何包含数据的工作表');
      this.dataRows = rows.dataRows;
      this.details.sheetCount = rows.sheetCount;
      this.finished = true;
    } finally {
      await this.close();
    }
  }

  private rowCells(row: SheetCell[], lastColumn: number, rowNumber: number, sheetName: string): CellValue[] {
    const cells: CellValue[] = [];
    const date1904 = this.details.date1904 ?? false;
    for (let c = 0; c <= lastColumn && c < row.length; c++) {
      const cell = row[c];
      const value = cell ? cellValue(cell, date1904) : null;
      if (value === null) continue;
      if (c >= this.limits.maxColumns) throw columnLimitExceeded(this.limits.maxColumns, c + 1, sheetName);
      if (typeof value === 'string' && value.length > this.limits.maxLineLength) throw lineTooLong(this.limits.maxLineLength, rowNumber);
      while (cells.length < c) cells.push(null);
      cells[c] = value;
    }
    return cells;
  }
}

function cellValue(cell: XLSX.CellObject, date1904: boolean): CellValue {
  switch (cell.t) {
    case 'n': {
      const number = cell.v as number;
      if (cell.z !== undefined && XLSX.SSF.is_date(String(cell.z))) return excelSerialToDate(number, date1904) ?? number;
      return number;
    }
    case 's':
      return String(cell.v ?? '');
    case 'b':
      return Boolean(cell.v);
    case 'e':
      return cell.w ?? '#ERROR';
    case 'd':
      return cell.v instanceof Date ? cell.v : String(cell.v);
    default:
      return null; // 'z': a stub (formatted empty cell)
  }
}

export async function openXlsReader(path: string, size: number, options: OpenOptions, limits: ParseLimits): Promise<TableReader> {
  if (size > MAX_XLS_FILE_BYTES) {
    throw fileTooLarge(`.xls 文件大小超过上限 ${Math.round(MAX_XLS_FILE_BYTES / 1024 / 1024)} MB，请另存为 .xlsx 后上传`, {
      maxXlsBytes: MAX_XLS_FILE_BYTES,
      size,
    });
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw fileAccessError(err, path);
  }
  let workbook: XLSX.WorkBook;
  try {
    // cellDates off on purpose (see the class comment); cellNF keeps each cell's number format.
    workbook = XLSX.read(bytes, { type: 'buffer', dense: true, cellDates: false, cellNF: true, cellFormula: false, cellHTML: false, cellStyles: false });
  } catch (err) {
    if (isAppError(err) || errnoCode(err) !== undefined) throw fileAccessError(err, path);
    throw corruptedFile('.xls 工作簿无法解析', err, { reason: err instanceof Error ? err.message : String(err) });
  }
  return new XlsTableReader(workbook, limits, options);
}
