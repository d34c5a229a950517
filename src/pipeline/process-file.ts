import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { buildSheetLayout, detectColumnTypes, DETECTION_SAMPLE_ROWS, uniqueHeaders } from '../cleaning/columns.js';
import { isEmptyRow, RowCleaner } from '../cleaning/row.js';
import { AppError } from '../errors.js';
import { openTable } from '../parsing/index.js';
import type { RawRow, SheetHeader, TableReader } from '../parsing/types.js';
import type { ProcessOptions, RecordBatch, RecordSink } from './types.js';
import type { Phase, ProcessStatistics, SheetLayout } from '../domain/index.js';

export const DEFAULT_BATCH_SIZE = 1000;

/** Thrown when the caller's AbortSignal fires; `reason` is the signal's reason. */
export class ProcessAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : 'processing aborted');
    this.name = 'ProcessAbortedError';
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProcessAbortedError(signal.reason);
}

/**
 * The one cleaning pipeline (sync upload, CLI and workers all call it):
 * parse (streaming) → detect column types per sheet → clean row by row → hand batches to the sink
 * → let the sink finish its outputs. Reports progress after every batch and on each phase change,
 * stops at the next batch boundary when `signal` aborts, and on any failure calls `sink.abort()`.
 *
 * Returns the statistics; always `totalRows = cleanedRows + exceptionRows`.
 */
export async function processFile(path: string, sink: RecordSink, options: ProcessOptions = {}): Promise<ProcessStatistics> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const { signal, onProgress } = options;
  let phase: Phase = 'parsing';
  let reader: TableReader | undefined;

  const stats: ProcessStatistics = {
    totalRows: 0,
    cleanedRows: 0,
    exceptionRows: 0,
    errorsByType: {},
    errorsByField: {},
    processingTimeMs: 0,
    format: 'csv',
    sheets: [],
  };
  const report = (next: Phase = phase) => {
    phase = next;
    if (!onProgress) return;
    const estimate = reader?.estimatedTotalRows();
    const done = phase === 'saving' || phase === 'exporting' || phase === 'done';
    const totalRows = done ? stats.totalRows : Math.max(estimate ?? 0, stats.totalRows);
    onProgress({ phase, processedRows: stats.totalRows, totalRows, totalIsEstimate: !done });
  };

  try {
    throwIfAborted(signal);
    report('parsing');
    reader = await openTable(path, {
      originalName: options.originalName,
      encoding: options.encoding,
      delimiter: options.delimiter,
      limits: options.limits,
      batchSize,
      signal,
    });
    Object.assign(stats, {
      format: reader.details.format,
      ...(reader.details.encoding ? { encoding: reader.details.encoding } : {}),
      ...(reader.details.delimiter ? { delimiter: reader.details.delimiter } : {}),
    });
    await sink.begin?.(reader.details);

    let sheet: { header: SheetHeader; cleaner?: RowCleaner; layout?: SheetLayout; pending: RawRow[] } | undefined;
    let batch: RecordBatch = { clean: [], exceptions: [] };
    let batchRows = 0;

    const flush = async () => {
      if (batchRows === 0) return;
      const out = batch;
      batch = { clean: [], exceptions: [] };
      batchRows = 0;
      await sink.write(out);
      // Keep the event loop responsive between batches even when the sink is synchronous
      // (SQLite): BullMQ renews job locks from timers on this loop.
      await yieldToEventLoop();
      throwIfAborted(signal);
      report();
    };

    const cleanRows = async (rows: readonly RawRow[]) => {
      const cleaner = sheet!.cleaner!;
      const sheetStats = stats.sheets[sheet!.layout!.index];
      for (const row of rows) {
        if (isEmptyRow(row.cells)) continue;
        const result = cleaner.clean(row.rowNumber, row.cells);
        stats.totalRows++;
        sheetStats.rows++;
        if ('clean' in result) {
          batch.clean.push(result.clean);
          stats.cleanedRows++;
        } else {
          batch.exceptions.push(result.exception);
          stats.exceptionRows++;
          for (const e of result.exception.errors) {
            stats.errorsByType[e.errorType] = (stats.errorsByType[e.errorType] ?? 0) + 1;
            if (e.field) stats.errorsByField[e.field] = (stats.errorsByField[e.field] ?? 0) + 1;
          }
        }
        if (++batchRows >= batchSize) await flush();
      }
    };

    /** Column types need a sample of the sheet's rows: rows are held until the sample is full. */
    const startSheet = async () => {
      if (!sheet || sheet.layout) return;
      const headers = uniqueHeaders(sheet.header.headers);
      const sample = sheet.pending.filter((r) => !isEmptyRow(r.cells)).map((r) => r.cells);
      const types = detectColumnTypes(headers, sample, options.columnTypes);
      const layout = buildSheetLayout(sheet.header.name, stats.sheets.length, headers, types);
      sheet.layout = layout;
      sheet.cleaner = new RowCleaner(layout, { date1904: reader?.details.date1904 });
      stats.sheets.push({ name: layout.name, rows: 0, columns: layout.headers, types: layout.types });
      await flush(); // a batch never mixes sheets: sinks see sheet() before that sheet's rows
      await sink.sheet(layout);
      const pending = sheet.pending;
      sheet.pending = [];
      await cleanRows(pending);
    };

    report('cleaning');
    for await (const event of reader) {
      throwIfAborted(signal);
      if (event.kind === 'sheet') {
        await startSheet();
        sheet = { header: event.sheet, pending: [] };
      } else if (sheet && !sheet.layout) {
        for (const row of event.rows) sheet.pending.push(row);
        if (sheet.pending.length >= DETECTION_SAMPLE_ROWS) await startSheet();
      } else if (sheet) {
        await cleanRows(event.rows);
      }
    }
    await startSheet();
    await flush();

    if (stats.totalRows === 0) {
      throw new AppError('EMPTY_FILE', stats.sheets.length > 0 ? '文件只有表头，没有数据行' : '文件中没有数据', { reason: 'NO_DATA_ROWS' });
    }

    report('saving');
    await sink.flush?.();
    throwIfAborted(signal);
    stats.processingTimeMs = Math.round(performance.now() - started);
    report('exporting');
    await sink.finish(stats);
    report('done');
    return stats;
  } catch (caught) {
    // Once the signal has fired, whatever stopped the work (the reader's own CANCELLED error, a
    // stream torn down mid-read) is the abort: callers tell a timeout or a shutdown from a failure
    // by ProcessAbortedError and its reason.
    const err = signal?.aborted && !(caught instanceof ProcessAbortedError) ? new ProcessAbortedError(signal.reason) : caught;
    await Promise.resolve(sink.abort(err)).catch(() => undefined);
    throw err;
  } finally {
    await reader?.close().catch(() => undefined);
  }
}
