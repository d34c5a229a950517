import { setTimeout as sleep } from 'node:timers/promises';
import { formatReasons } from '../export/index.js';
import type { Database } from '../storage/index.js';
import type { RecordBatch, RecordSink } from './types.js';
import type { ProcessStatistics, SheetLayout } from '../domain/index.js';

export interface DatabaseSinkOptions {
  /** Decides whether a failed write is worth repeating (connection loss, busy database). */
  isTransient?: (err: unknown) => boolean;
  /** Delays between repeated writes of one batch; the default rides out a ~30 s outage. */
  retryDelaysMs?: readonly number[];
  signal?: AbortSignal;
  /** Told before each repeated write, so an outage shows in the log while it is ridden out. */
  onRetry?: (err: unknown, retry: number, delayMs: number) => void;
}

/**
 * Exponential from 250 ms, capped at 4 s so the work resumes within seconds of the database coming
 * back (an 8 s or 15 s pause would outlast a typical failover); ~30 s in all, after which the
 * attempt fails and the task-level retry (MAX_RETRIES, RETRY_BACKOFF_MS) takes over.
 */
const DEFAULT_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000];

/**
 * Stores a job's rows under its attempt token (so a stale worker's writes are refused) and
 * completes the attempt with the statistics. A batch whose write fails transiently is written again
 * after a pause: a short database outage then costs a pause instead of restarting the whole file.
 */
export class DatabaseSink implements RecordSink {
  private readonly layouts: SheetLayout[] = [];

  constructor(
    private readonly db: Database,
    private readonly jobId: string,
    private readonly token: string,
    private readonly options: DatabaseSinkOptions = {},
  ) {}

  sheet(layout: SheetLayout): void {
    this.layouts.push(layout);
  }

  async write(batch: RecordBatch): Promise<void> {
    const reasons = batch.exceptions.map((e) => formatReasons(e.errors));
    await this.withRetry(() => this.db.insertBatch(this.jobId, this.token, batch.clean, batch.exceptions, reasons));
  }

  async finish(stats: ProcessStatistics): Promise<void> {
    await this.withRetry(() =>
      this.db.completeAttempt(this.jobId, this.token, {
        totalRows: stats.totalRows,
        cleanedRows: stats.cleanedRows,
        exceptionRows: stats.exceptionRows,
        processingTimeMs: stats.processingTimeMs,
        statistics: stats,
        layout: this.layouts,
      }),
    );
  }

  abort(): void {
    // Partial rows are removed by whoever ends the attempt (endAttempt) or by the next startAttempt.
  }

  private async withRetry<T>(write: () => Promise<T>): Promise<T> {
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= delays.length || !this.options.isTransient?.(err) || this.options.signal?.aborted) throw err;
        this.options.onRetry?.(err, attempt + 1, delays[attempt]);
        await sleep(delays[attempt], undefined, { signal: this.options.signal }).catch(() => undefined);
      }
    }
  }
}
