/**
 * The one cleaning pipeline (sync upload, CLI and workers all call processFile):
 * parse (streaming) → detect column types per sheet → clean row by row → hand batches to the sink
 * → let the sink finish its outputs.
 *
 * Rules:
 * - Two stages: parsing + cleaning (table-cleaner.ts) runs on a worker thread by default
 *   (`threads`), writing (the sink) on the calling thread; between them at most a few batches are
 *   in flight (backpressure), so memory stays flat and row order is file order.
 * - Progress is reported after every batch and on each phase change.
 * - When `signal` aborts, the work stops at once (the cleaning thread is terminated, whatever it
 *   is doing) with a ProcessAbortedError carrying the signal's reason.
 * - On any failure `sink.abort()` is called before the error is rethrown.
 * - Always `totalRows = cleanedRows + exceptionRows`.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { openCleanSource, type CleanSource } from './clean-source.js';
import type { ProcessOptions, RecordSink } from './types.js';
import type { Phase, ProcessStatistics } from '../domain/index.js';

export { DEFAULT_BATCH_SIZE } from './table-cleaner.js';

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

/** Turns phase changes and row counts into Progress reports. */
class ProgressReporter {
  private phase: Phase = 'parsing';
  private processedRows = 0;
  private estimatedTotalRows: number | undefined;

  constructor(private readonly onProgress: ProcessOptions['onProgress']) {}

  rows(processedRows: number, estimatedTotalRows: number | undefined): void {
    this.processedRows = processedRows;
    this.estimatedTotalRows = estimatedTotalRows;
  }

  report(next: Phase = this.phase): void {
    this.phase = next;
    if (!this.onProgress) return;
    const done = next === 'saving' || next === 'exporting' || next === 'done';
    const totalRows = done ? this.processedRows : Math.max(this.estimatedTotalRows ?? 0, this.processedRows);
    this.onProgress({ phase: next, processedRows: this.processedRows, totalRows, totalIsEstimate: !done });
  }
}

/** One call of processFile: consumes the clean events into the sink, then completes the sink. */
class FileRun {
  private readonly started = performance.now();
  private readonly progress: ProgressReporter;
  private readonly signal: AbortSignal | undefined;

  constructor(
    private readonly path: string,
    private readonly sink: RecordSink,
    private readonly options: ProcessOptions,
  ) {
    this.progress = new ProgressReporter(options.onProgress);
    this.signal = options.signal;
  }

  async run(): Promise<ProcessStatistics> {
    let source: CleanSource | undefined;
    try {
      throwIfAborted(this.signal);
      this.progress.report('parsing');
      throwIfAborted(this.signal);
      source = await openCleanSource(this.path, this.options);
      const stats = await this.consume(source);
      await source.close();
      return await this.complete(stats);
    } catch (caught) {
      // Once the signal has fired, whatever stopped the work (the reader's own CANCELLED error, a
      // stream torn down mid-read, a terminated thread) is the abort: callers tell a timeout or a
      // shutdown from a failure by ProcessAbortedError and its reason.
      const err = this.signal?.aborted && !(caught instanceof ProcessAbortedError) ? new ProcessAbortedError(this.signal.reason) : caught;
      await source?.close().catch(() => undefined);
      await Promise.resolve(this.sink.abort(err)).catch(() => undefined);
      throw err;
    }
  }

  /** Hands every event to the sink in order; returns the statistics of the `end` event. */
  private async consume(source: CleanSource): Promise<ProcessStatistics> {
    const { sink } = this;
    for (;;) {
      const event = await source.next(this.signal);
      switch (event.kind) {
        case 'begin':
          await sink.begin?.(event.details);
          this.progress.report('cleaning');
          break;
        case 'sheet':
          await sink.sheet(event.layout);
          break;
        case 'batch':
          await sink.write(event.batch);
          source.release();
          // Keep the event loop responsive between batches even when the sink is synchronous
          // (SQLite) and cleaning runs inline: BullMQ renews job locks from timers on this loop.
          await yieldToEventLoop();
          this.progress.rows(event.processedRows, event.estimatedTotalRows);
          throwIfAborted(this.signal);
          this.progress.report();
          break;
        case 'end':
          return event.stats;
      }
      throwIfAborted(this.signal);
    }
  }

  /** Every row is in the sink: make it durable, then let it produce its outputs. */
  private async complete(stats: ProcessStatistics): Promise<ProcessStatistics> {
    this.progress.rows(stats.totalRows, stats.totalRows);
    this.progress.report('saving');
    await this.sink.flush?.();
    throwIfAborted(this.signal);
    stats.processingTimeMs = Math.round(performance.now() - this.started);
    this.progress.report('exporting');
    await this.sink.finish(stats);
    this.progress.report('done');
    return stats;
  }
}

/**
 * Cleans the file at `path` into `sink` (see the rules at the top of this file) and returns the
 * statistics.
 */
export async function processFile(path: string, sink: RecordSink, options: ProcessOptions = {}): Promise<ProcessStatistics> {
  return new FileRun(path, sink, options).run();
}
