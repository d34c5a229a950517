import type { Database } from './database.js';
import type { FileStore } from './file-store.js';

/** The slice of a pino logger the retention job uses. */
export interface RetentionLogger {
  info(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

/** What one retention pass removed. */
export interface RetentionReport {
  deletedJobs: number;
  removedFiles: number;
  /** Files that could not be removed (logged; their records are already gone). */
  failedFiles: number;
  /** Stale temporary files swept (left by processes that died mid-upload or mid-download). */
  sweptTemporaryFiles: number;
}

/** Settings of a {@link RetentionJob}. */
export interface RetentionJobOptions {
  database: Pick<Database, 'deleteJobsOlderThan'>;
  fileStore: FileStore;
  /** Age after which a finished job is deleted (`RESULT_TTL_DAYS` × 1 day); a function is read on every run (hot reload). */
  maxAgeMs: number | (() => number);
  /** Clock (tests inject one). Default `() => new Date()`. */
  now?: () => Date;
  logger?: RetentionLogger;
  /** Temporary upload files older than this are swept (only left by crashed processes). Default 1 day. */
  temporaryFileMaxAgeMs?: number;
}

const ONE_DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Removes finished jobs older than the retention age (SPEC R11 "Retention"): their rows and
 * records through {@link Database.deleteJobsOlderThan}, then the uploaded file through the file
 * store (a local file or an S3 object). Several instances may run at once (every step is idempotent).
 */
export class RetentionJob {
  readonly #options: RetentionJobOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RetentionReport> | undefined;

  constructor(options: RetentionJobOptions) {
    this.#options = options;
  }

  /** Runs a pass now and then every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    if (this.#timer) return;
    const tick = () => {
      this.runOnce().catch((err: unknown) => {
        this.#options.logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'retention pass failed; will try again');
      });
    };
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
    tick();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass; concurrent calls share the pass in progress. */
  runOnce(): Promise<RetentionReport> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<RetentionReport> {
    const { database, fileStore, logger } = this.#options;
    const now = this.#options.now?.() ?? new Date();
    const maxAge = this.#options.maxAgeMs;
    const cutoff = new Date(now.getTime() - (typeof maxAge === 'function' ? maxAge() : maxAge));
    const removed = await database.deleteJobsOlderThan(cutoff);
    const report: RetentionReport = { deletedJobs: removed.length, removedFiles: 0, failedFiles: 0, sweptTemporaryFiles: 0 };
    for (const job of removed) {
      try {
        await fileStore.remove(job.storageKey);
        report.removedFiles++;
      } catch (err) {
        report.failedFiles++;
        logger?.error({ jobId: job.jobId, key: job.storageKey, err: err instanceof Error ? err.message : String(err) }, 'retention: could not remove file');
      }
    }
    report.sweptTemporaryFiles = await fileStore.sweepTemporaryFiles(this.#options.temporaryFileMaxAgeMs ?? ONE_DAY_MS, now);
    if (report.deletedJobs > 0 || report.sweptTemporaryFiles > 0) {
      logger?.info({ ...report, cutoff: cutoff.toISOString() }, 'retention: removed expired jobs');
    }
    return report;
  }
}
