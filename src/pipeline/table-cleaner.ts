/**
 * The parse-and-clean half of the pipeline, written so that it can run on a thread of its own:
 * it reads a table file and turns it into a stream of plain, cloneable CleanEvents —
 * `begin` (what the reader learned), `sheet` (a sheet's layout, before any of its rows), `batch`
 * (at most batchSize records of one sheet, in file order) and `end` (the statistics).
 *
 * Rules:
 * - Column types need a sample: a sheet's rows are held back until DETECTION_SAMPLE_ROWS non-empty
 *   rows (or the sheet's end) are in; then the layout is announced and the held rows cleaned.
 * - A batch never mixes sheets; empty rows are skipped and not counted.
 * - A file without a single data row is EMPTY_FILE (thrown after the last sheet).
 * - With `dedupe: 'exact'`, a clean row equal to an earlier clean row of its sheet becomes an
 *   exception (duplicates.ts).
 * - A row the reader could not decode (RawRow.invalidEncoding) is cleaned with that flag: it becomes
 *   an INVALID_ENCODING exception; NUL bytes the reader removed are counted in the statistics.
 */
import { buildSheetLayout, detectColumnTypes, DETECTION_SAMPLE_ROWS, uniqueHeaders } from '../cleaning/columns.js';
import { isEmptyRow, RowCleaner } from '../cleaning/row.js';
import { AppError } from '../errors.js';
import { DuplicateFinder, type DedupeMode } from './duplicates.js';
import { openTable } from '../parsing/index.js';
import type { OpenOptions, RawRow, SheetHeader, TableDetails, TableReader } from '../parsing/types.js';
import type { CleanEvent, RecordBatch } from './types.js';
import type { ColumnType, ProcessStatistics, SheetLayout } from '../domain/index.js';

export const DEFAULT_BATCH_SIZE = 1000;

export interface CleanTableOptions extends Pick<OpenOptions, 'originalName' | 'encoding' | 'delimiter' | 'limits' | 'signal'> {
  /** Overrides of the detected column types, keyed by header name. */
  columnTypes?: Record<string, ColumnType>;
  batchSize?: number;
  /** 'exact': a clean row equal to an earlier one of its sheet becomes a DUPLICATE_ROW exception (duplicates.ts). */
  dedupe?: DedupeMode;
  /** Longest cell value-based type detection looks at (DETECTION_MAX_VALUE_CHARS). */
  detectionMaxValueChars?: number;
}

const INVALID_ENCODING = { invalidEncoding: true } as const;

/** Running totals of one file; `totalRows = cleanedRows + exceptionRows` at every step. */
export class StatisticsTally {
  readonly stats: ProcessStatistics = {
    totalRows: 0,
    cleanedRows: 0,
    exceptionRows: 0,
    errorsByType: {},
    errorsByField: {},
    processingTimeMs: 0,
    format: 'csv',
    sheets: [],
  };

  constructor(details: TableDetails) {
    this.stats.format = details.format;
    if (details.encoding) this.stats.encoding = details.encoding;
    if (details.delimiter) this.stats.delimiter = details.delimiter;
  }

  addSheet(layout: SheetLayout): void {
    this.stats.sheets.push({ name: layout.name, rows: 0, columns: layout.headers, types: layout.types });
  }

  countClean(sheetIndex: number): void {
    this.stats.totalRows++;
    this.stats.cleanedRows++;
    this.stats.sheets[sheetIndex].rows++;
  }

  countException(sheetIndex: number, errors: readonly { errorType: string; field: string }[]): void {
    const { stats } = this;
    stats.totalRows++;
    stats.exceptionRows++;
    stats.sheets[sheetIndex].rows++;
    for (const e of errors) {
      stats.errorsByType[e.errorType] = (stats.errorsByType[e.errorType] ?? 0) + 1;
      if (e.field) stats.errorsByField[e.field] = (stats.errorsByField[e.field] ?? 0) + 1;
    }
  }
}

/** One sheet on its way through: its header, the rows held for type detection, then its cleaner. */
interface SheetInProgress {
  header: SheetHeader;
  held: RawRow[];
  layout?: SheetLayout;
  cleaner?: RowCleaner;
  duplicates?: DuplicateFinder;
}

/**
 * Turns the reader's events into CleanEvents. Each method returns the events it produced (a batch
 * is emitted as soon as it is full), so the caller decides how to hand them on.
 */
export class TableCleaner {
  readonly tally: StatisticsTally;
  private sheet?: SheetInProgress;
  private batch: RecordBatch = { clean: [], exceptions: [] };
  private batchRows = 0;
  private readonly batchSize: number;

  constructor(
    private readonly reader: TableReader,
    private readonly options: CleanTableOptions = {},
  ) {
    this.tally = new StatisticsTally(reader.details);
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  /** A new sheet begins: the previous one is finished first. */
  *startSheet(header: SheetHeader): Generator<CleanEvent> {
    yield* this.finishSampling();
    this.sheet = { header, held: [] };
  }

  *addRows(rows: readonly RawRow[]): Generator<CleanEvent> {
    const sheet = this.sheet;
    if (!sheet) return;
    if (sheet.layout) {
      yield* this.cleanRows(rows);
      return;
    }
    for (const row of rows) sheet.held.push(row);
    if (sheet.held.length >= DETECTION_SAMPLE_ROWS) yield* this.finishSampling();
  }

  /** After the last event: the pending rows, the last batch, and the statistics. */
  *end(): Generator<CleanEvent> {
    yield* this.finishSampling();
    yield* this.flush();
    const { stats } = this.tally;
    // Counted by the reader as it goes: known only now. Shown only when there were any.
    const removedNulBytes = this.reader.details.removedNulBytes;
    if (removedNulBytes > 0) stats.removedNulBytes = removedNulBytes;
    if (stats.totalRows === 0) {
      throw new AppError('EMPTY_FILE', stats.sheets.length > 0 ? '文件只有表头，没有数据行' : '文件中没有数据', { reason: 'NO_DATA_ROWS' });
    }
    yield { kind: 'end', stats };
  }

  /** The sample is complete (or the sheet ended): detect the types, announce the layout, clean the held rows. */
  private *finishSampling(): Generator<CleanEvent> {
    const sheet = this.sheet;
    if (!sheet || sheet.layout) return;
    const headers = uniqueHeaders(sheet.header.headers);
    const sample = sheet.held.filter((r) => !isEmptyRow(r.cells)).map((r) => r.cells);
    const types = detectColumnTypes(headers, sample, this.options.columnTypes, { maxValueChars: this.options.detectionMaxValueChars });
    const layout = buildSheetLayout(sheet.header.name, this.tally.stats.sheets.length, headers, types);
    sheet.layout = layout;
    sheet.cleaner = new RowCleaner(layout, { date1904: this.reader.details.date1904 });
    if (this.options.dedupe === 'exact') sheet.duplicates = new DuplicateFinder();
    this.tally.addSheet(layout);
    yield* this.flush(); // a batch never mixes sheets: sinks see sheet() before that sheet's rows
    yield { kind: 'sheet', layout };
    const held = sheet.held;
    sheet.held = [];
    yield* this.cleanRows(held);
  }

  private *cleanRows(rows: readonly RawRow[]): Generator<CleanEvent> {
    const { cleaner, layout, duplicates } = this.sheet as SheetInProgress & { cleaner: RowCleaner; layout: SheetLayout };
    const sheetIndex = layout.index;
    for (const row of rows) {
      if (isEmptyRow(row.cells)) continue;
      const result = cleaner.clean(row.rowNumber, row.cells, row.invalidEncoding ? INVALID_ENCODING : undefined);
      const duplicate = 'clean' in result ? duplicates?.check(result.clean, row.cells, layout.headers.length) : undefined;
      const exception = duplicate ?? ('exception' in result ? result.exception : undefined);
      if (exception) {
        this.batch.exceptions.push(exception);
        this.tally.countException(sheetIndex, exception.errors);
      } else if ('clean' in result) {
        this.batch.clean.push(result.clean);
        this.tally.countClean(sheetIndex);
      }
      if (++this.batchRows >= this.batchSize) yield* this.flush();
    }
  }

  private *flush(): Generator<CleanEvent> {
    if (this.batchRows === 0) return;
    const batch = this.batch;
    this.batch = { clean: [], exceptions: [] };
    this.batchRows = 0;
    yield { kind: 'batch', batch, processedRows: this.tally.stats.totalRows, estimatedTotalRows: this.reader.estimatedTotalRows() };
  }
}

/**
 * Opens `path` and yields its CleanEvents, `begin` first and `end` last. The reader is closed
 * however the iteration ends (finished, thrown, or returned early by the consumer).
 */
export async function* cleanTable(path: string, options: CleanTableOptions = {}): AsyncGenerator<CleanEvent> {
  const reader = await openTable(path, {
    originalName: options.originalName,
    encoding: options.encoding,
    delimiter: options.delimiter,
    limits: options.limits,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    signal: options.signal,
  });
  try {
    yield { kind: 'begin', details: reader.details };
    const cleaner = new TableCleaner(reader, options);
    for await (const event of reader) {
      if (event.kind === 'sheet') yield* cleaner.startSheet(event.sheet);
      else yield* cleaner.addRows(event.rows);
    }
    yield* cleaner.end();
  } finally {
    await reader.close().catch(() => undefined);
  }
}
