import type { Stream } from 'node:stream';
import ExcelJS from 'exceljs';
import type { ExportSheet, TableWriter } from './types.js';
import { OutputGuard, type OutputStream } from './stream-util.js';

/** Excel's hard limits: rows per worksheet (header included), characters per cell, sheet-name length. */
const EXCEL_MAX_ROWS = 1_048_576;
export const EXCEL_MAX_CELL_CHARS = 32_767;
const SHEET_NAME_MAX = 31;

/** Rows are committed (serialized to XML) at least this often, so uncommitted rows stay few. */
const COMMIT_EVERY_ROWS = 1000;
/** Default bound on sheet XML waiting inside exceljs/archiver for compression and the output. */
const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Lowest accepted bound: the stage's readable side alone can hold ~80 KiB (16 KiB high-water mark
 * plus one 64 KiB chunk) without any 'drain' to wait for, so a smaller bound could never be met.
 */
const MIN_MAX_BUFFERED_BYTES = 128 * 1024;

export interface XlsxWriterOptions {
  /** Data rows per worksheet before continuing on a new one; default Excel's limit minus the header. */
  maxDataRowsPerSheet?: number;
  /** Back off once this much uncompressed sheet XML is waiting downstream (default 4 MiB, at least 128 KiB). */
  maxBufferedBytes?: number;
}

/**
 * A valid worksheet name: characters Excel forbids (`[]:*?/\`) become `_`, apostrophes are
 * stripped from both ends, at most 31 characters (never splitting a surrogate pair), and a fallback
 * for empty names and Excel's reserved name "History".
 */
export function sanitizeSheetName(name: string, fallback = 'Sheet1'): string {
  let clean = name.replace(/[[\]:*?/\\]/g, '_').replace(/^'+|'+$/g, '');
  clean = truncateUtf16(clean, SHEET_NAME_MAX).replace(/'+$/, '');
  if (clean.trim() === '') return fallback;
  if (clean.toLowerCase() === 'history') return 'History_';
  return clean;
}

/** Cuts to at most `max` UTF-16 units without leaving half of a surrogate pair. */
function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  const lastKept = text.charCodeAt(max - 1);
  const cut = lastKept >= 0xd800 && lastKept <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}

/** Name of the n-th (n ≥ 2) worksheet of an export that overflows Excel's row limit. */
function continuationSheetName(base: string, n: number): string {
  const suffix = ` (${n})`;
  return truncateUtf16(base, SHEET_NAME_MAX - suffix.length) + suffix;
}

/**
 * The parts of exceljs's streaming writer we reach for that its typings do not declare: each
 * worksheet's XML goes through a StreamBuf piped into a PassThrough (readable-stream 2.x, which
 * predates the writableLength/readableLength getters) that archiver reads. Writes into that chain
 * never push back, so the PassThrough's fill level is our backpressure signal.
 */
interface WorksheetWriterInternals {
  stream?: { pipes?: unknown[] };
}

interface BufferedStage extends NodeJS.EventEmitter {
  _writableState: { length: number };
  _readableState: { length: number };
}

function isBufferedStage(value: unknown): value is BufferedStage {
  const stage = value as Partial<BufferedStage> | null;
  return (
    typeof stage === 'object' &&
    stage !== null &&
    typeof stage._writableState?.length === 'number' &&
    typeof stage._readableState?.length === 'number' &&
    typeof stage.once === 'function'
  );
}

function bufferedIn(stage: BufferedStage): number {
  return stage._writableState.length + stage._readableState.length;
}

/**
 * Streams an .xlsx workbook to `out` with exceljs's streaming WorkbookWriter: strings stored in
 * the cells (no shared-strings table), no styles, every cell a string (never a formula; empty cells
 * are left out). Rows are committed as they come; when more than `maxBufferedBytes` of sheet XML
 * waits for compression/output, writeRows waits for it to drain, so memory stays flat. Past
 * Excel's 1,048,576-row limit the table continues on "name (2)", "name (3)"… with the header
 * repeated. Cells longer than Excel's 32,767 characters are truncated (Excel refuses the file
 * otherwise) and CR/CRLF line breaks become LF. Every row must have exactly as many cells as the
 * header. Calls must not overlap: await each writeRows before the next.
 */
export class XlsxTableWriter implements TableWriter {
  private readonly guard: OutputGuard;
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly columns: readonly string[];
  private readonly baseName: string;
  private readonly maxDataRowsPerSheet: number;
  private readonly maxBufferedBytes: number;
  private worksheet: ExcelJS.Worksheet;
  private sheetCount = 1;
  private rowsInSheet = 0;
  private state: 'open' | 'closing' | 'aborted' = 'open';
  private closing: Promise<void> | undefined;

  constructor(out: OutputStream, sheet: ExportSheet, options: XlsxWriterOptions = {}) {
    this.guard = new OutputGuard(out);
    this.columns = sheet.columns;
    this.baseName = sanitizeSheetName(sheet.name);
    this.maxDataRowsPerSheet = Math.max(1, options.maxDataRowsPerSheet ?? EXCEL_MAX_ROWS - 1);
    this.maxBufferedBytes = Math.max(MIN_MAX_BUFFERED_BYTES, options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      // exceljs only pipes into it; Node's Writable is what it needs despite the declared Stream.
      stream: out as unknown as Stream,
      useSharedStrings: false,
      useStyles: false,
    });
    this.worksheet = this.startWorksheet(this.baseName);
  }

  /** Uncompressed sheet XML waiting inside exceljs/archiver (0 when that stage cannot be seen). */
  get bufferedBytes(): number {
    const stage = this.bufferStage();
    return stage ? bufferedIn(stage) : 0;
  }

  async writeRows(rows: readonly (readonly string[])[]): Promise<void> {
    this.assertOpen();
    this.guard.throwIfFailed();
    let uncommitted: ExcelJS.Row | undefined;
    let sinceCommit = 0;
    for (const row of rows) {
      if (row.length !== this.columns.length) {
        throw new RangeError(`XLSX export row has ${row.length} cells, expected ${this.columns.length}`);
      }
      if (this.rowsInSheet === this.maxDataRowsPerSheet) {
        uncommitted = undefined;
        sinceCommit = 0;
        this.worksheet.commit();
        this.sheetCount += 1;
        this.worksheet = this.startWorksheet(continuationSheetName(this.baseName, this.sheetCount));
      }
      uncommitted = this.worksheet.addRow(toRowValues(row));
      this.rowsInSheet += 1;
      if (++sinceCommit === COMMIT_EVERY_ROWS) {
        // Committing a row writes it and every earlier uncommitted row of the sheet.
        uncommitted.commit();
        uncommitted = undefined;
        sinceCommit = 0;
        await this.relieveBackpressure();
      }
    }
    if (uncommitted) {
      uncommitted.commit();
      await this.relieveBackpressure();
    }
  }

  close(): Promise<void> {
    if (this.state === 'aborted') return Promise.reject(new Error('XLSX export was aborted'));
    this.closing ??= this.finish();
    return this.closing;
  }

  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    await this.guard.destroy();
  }

  private async finish(): Promise<void> {
    this.state = 'closing';
    this.guard.throwIfFailed();
    this.worksheet.commit();
    // exceljs only listens for output errors in its very last step; racing against our guard
    // keeps an earlier failure from leaving commit() pending forever.
    await Promise.race([this.workbook.commit(), this.failureOfOutput()]);
    await this.guard.finished();
  }

  private startWorksheet(name: string): ExcelJS.Worksheet {
    // A frozen header row costs one element in the sheet XML; a bold one would need useStyles,
    // which more than halves the writer's speed (measured), so the header stays plain.
    const worksheet = this.workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    worksheet.addRow(toRowValues(this.columns)).commit();
    this.rowsInSheet = 0;
    return worksheet;
  }

  private bufferStage(): BufferedStage | undefined {
    const pipes = (this.worksheet as unknown as WorksheetWriterInternals).stream?.pipes;
    const stage = pipes?.[0];
    return isBufferedStage(stage) ? stage : undefined;
  }

  private async relieveBackpressure(): Promise<void> {
    const stage = this.bufferStage();
    if (stage) {
      while (bufferedIn(stage) > this.maxBufferedBytes) {
        this.guard.throwIfFailed();
        await this.guard.waitForDrain(stage);
      }
      return;
    }
    // Fallback if exceljs internals ever change: at least honour the output's own backpressure.
    const out = this.guard.out as NodeJS.WritableStream & { writableNeedDrain?: boolean };
    if (out.writableNeedDrain) await this.guard.waitForDrain(out);
  }

  private failureOfOutput(): Promise<never> {
    return new Promise<never>((_resolve, reject) => {
      const check = (): void => {
        if (this.guard.error) reject(this.guard.error);
      };
      check();
      this.guard.out.once('error', check);
      this.guard.out.once('close', check);
    });
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`XLSX export is ${this.state === 'aborted' ? 'aborted' : 'closed'}`);
  }
}

/**
 * exceljs row values: index i+1 is column i+1 and index 0 stays a hole, so exceljs starts at
 * column A; empty cells stay holes (written as nothing, read back as empty).
 */
function toRowValues(cells: readonly string[]): string[] {
  const values = new Array<string>(cells.length + 1);
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell !== '') values[i + 1] = toCellText(cell);
  }
  return values;
}

const CARRIAGE_RETURNS = /\r\n?/g;

/**
 * Line breaks become LF, Excel's in-cell line break (XML readers would turn a raw CR into LF
 * anyway), and text is cut at Excel's cell limit. Characters XML cannot carry (C0 controls
 * other than TAB/LF) are dropped by exceljs itself.
 */
function toCellText(cell: string): string {
  const text = cell.includes('\r') ? cell.replace(CARRIAGE_RETURNS, '\n') : cell;
  return text.length > EXCEL_MAX_CELL_CHARS ? truncateUtf16(text, EXCEL_MAX_CELL_CHARS) : text;
}
