import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { ConfigChange, ConfigStore } from '../config/index.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logging.js';
import { pipelineOptionsOf } from '../pipeline/options.js';
import { ProcessAbortedError } from '../pipeline/process-file.js';
import { runJob } from '../pipeline/run-job.js';
import { StaleAttemptError, type Database, type FileStore } from '../storage/index.js';
import { createRedisConnection, queuePrefix } from './connection.js';
import { classifyError, retryDelay, shouldRetry } from './error-handler.js';
import { ProgressTracker } from './progress-tracker.js';
import { TaskTimeoutError, TimeoutManager } from './timeout-manager.js';
import type { TaskData, TaskResult } from './types.js';
import { FINAL_STATUSES } from '../domain/index.js';

/** Abort reason when the worker is shutting down and the grace period is over. */
class ShutdownError extends Error {
  constructor() {
    super('worker shutting down');
    this.name = 'ShutdownError';
  }
}

export interface TaskConsumerEvents {
  /** A task finished (any outcome); for metrics and tests. */
  onFinished?: (jobId: string, outcome: TaskResult['outcome'] | 'failed' | 'timeout' | 'retrying' | 'released', durationMs: number) => void;
}

/**
 * The worker side: consumes tasks with BullMQ, runs the shared job runner with progress, timeout
 * and cancellation, and records every outcome in the database:
 * - success → completed (the database attempt is completed before BullMQ is told);
 * - timeout → `timeout`, partial rows removed, the worker takes the next task;
 * - retryable error → back to `pending` and retried with exponential backoff up to MAX_RETRIES;
 * - permanent error → `failed` at once with the error stored;
 * - cancelled (the database attempt token was revoked) → the task ends quietly;
 * - shutdown grace period over → the task is handed back to the queue for another worker.
 */
export class TaskConsumer {
  /**
   * One BullMQ Worker of concurrency 1 per slot. A BullMQ Worker applies a raised concurrency only
   * once one of its running jobs ends (its fetch loop is asleep while all slots are busy), so
   * WORKER_CONCURRENCY is hot-reloaded by adding or gracefully closing whole workers instead.
   */
  private readonly workers: Worker<TaskData, TaskResult>[] = [];
  /** The abort controller of each task this process is running, by job id. */
  private readonly running = new Map<string, AbortController>();
  /** The workers that have a task in hand right now. */
  private readonly workersWithTask = new Set<Worker<TaskData, TaskResult>>();
  /** Tasks this process has in hand, retiring workers' included (may exceed the slots after a resize). */
  private tasksInHand = 0;
  private readonly timeouts: TimeoutManager;
  private closing?: Promise<void>;
  private readonly retiring = new Set<Promise<void>>();
  /** Applies a reloaded WORKER_CONCURRENCY; removed on close so a closed consumer ignores reloads. */
  private readonly onConfigChange = ({ changed, next }: ConfigChange) => {
    if (changed.includes('WORKER_CONCURRENCY') && !this.closing) {
      this.resize(next.WORKER_CONCURRENCY);
      this.deps.logger.info({ concurrency: next.WORKER_CONCURRENCY }, 'worker concurrency changed');
    }
  };

  constructor(private readonly deps: { db: Database; fileStore: FileStore; config: ConfigStore; logger: Logger; events?: TaskConsumerEvents }) {
    this.timeouts = new TimeoutManager({ timeoutMs: () => deps.config.current.JOB_TIMEOUT_MS });
    this.resize(deps.config.current.WORKER_CONCURRENCY);
    deps.config.on('change', this.onConfigChange);
    // Ready before the first task needs it; until then batches are written without it.
    deps.db.prepareWrites().catch((err: unknown) => deps.logger.warn({ err: String(err) }, 'preparing result-row writes failed'));
  }

  /** How many tasks this process may run at once (WORKER_CONCURRENCY, hot-reloadable). */
  get concurrency(): number {
    return this.workers.length;
  }

  /** Jobs this process is working on right now. */
  get activeJobIds(): string[] {
    return [...this.running.keys()];
  }

  private createWorker(): Worker<TaskData, TaskResult> {
    const config = this.deps.config.current;
    const { logger } = this.deps;
    const worker: Worker<TaskData, TaskResult> = new Worker<TaskData, TaskResult>(
      config.QUEUE_NAME,
      (job, token, signal) => this.takeTask(worker, job, token, signal),
      {
        connection: createRedisConnection(config, 'blocking', logger),
        prefix: queuePrefix(config),
        concurrency: 1,
        lockDuration: config.LOCK_DURATION_MS,
        stalledInterval: config.STALLED_INTERVAL_MS,
        // A task whose worker died is taken over by another worker; a file that kills every worker
        // that touches it stops after this many takeovers instead of looping forever.
        maxStalledCount: 2,
        name: `dcs-worker-${process.pid}`,
        metrics: { maxDataPoints: 60 * 24 },
        settings: { backoffStrategy: (attemptsMade: number) => retryDelay(attemptsMade, this.deps.config.current.RETRY_BACKOFF_MS) },
      },
    );
    worker.on('error', (err) => logger.warn({ err: err.message }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (job && err.message.includes('stalled')) logger.error({ jobId: job.id, err: err.message }, 'task failed after repeated worker crashes');
    });
    return worker;
  }

  /** Adds workers, or closes surplus ones — idle ones first; a busy one finishes its task first. */
  private resize(target: number): void {
    while (this.workers.length < target) this.workers.push(this.createWorker());
    while (this.workers.length > target) {
      const idle = this.workers.findLastIndex((w) => !this.workersWithTask.has(w));
      const [surplus] = this.workers.splice(idle >= 0 ? idle : this.workers.length - 1, 1);
      const closing = surplus.close().catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, 'closing a surplus worker failed'));
      this.retiring.add(closing);
      void closing.finally(() => this.retiring.delete(closing));
    }
  }

  /**
   * Stops taking tasks and waits for the running ones; after `graceMs` the running ones are
   * aborted and handed back to the queue (another worker continues them). Nothing is lost.
   */
  async close(graceMs = this.deps.config.current.SHUTDOWN_GRACE_MS): Promise<void> {
    if (this.closing) return this.closing;
    this.deps.config.off('change', this.onConfigChange);
    this.closing = (async () => {
      const timer = setTimeout(() => {
        for (const controller of this.running.values()) controller.abort(new ShutdownError());
      }, graceMs);
      try {
        await Promise.all([...this.workers.map((w) => w.close()), ...this.retiring]);
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.closing;
  }

  /** Closes at once without waiting for running tasks (tests; a crash stand-in). */
  async forceClose(): Promise<void> {
    this.deps.config.off('change', this.onConfigChange);
    await Promise.all(this.workers.map((w) => w.close(true)));
  }

  /**
   * Takes a task fetched by `worker` and runs it. While a lowered concurrency still has more tasks
   * in hand than slots (a retiring worker finishing its task), the task goes back to the queue.
   */
  private async takeTask(
    worker: Worker<TaskData, TaskResult>,
    job: Job<TaskData, TaskResult>,
    token: string | undefined,
    signal?: AbortSignal,
  ): Promise<TaskResult> {
    if (this.tasksInHand >= this.workers.length || this.closing) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    this.tasksInHand++;
    this.workersWithTask.add(worker);
    try {
      return await this.runTask(job, token, signal);
    } finally {
      this.tasksInHand--;
      this.workersWithTask.delete(worker);
    }
  }

  /** Runs one task: the job runner with progress, timeout and cancellation, then its outcome recorded. */
  private async runTask(job: Job<TaskData, TaskResult>, token: string | undefined, bullSignal?: AbortSignal): Promise<TaskResult> {
    const { db, fileStore, logger } = this.deps;
    const config = this.deps.config.current;
    const { jobId } = job.data;
    const log = logger.child({ jobId, attempt: job.attemptsMade + 1 });
    const started = Date.now();
    const finished = (outcome: Parameters<NonNullable<TaskConsumerEvents['onFinished']>>[1]) =>
      this.deps.events?.onFinished?.(jobId, outcome, Date.now() - started);

    let record;
    try {
      record = await db.getFileRecordByJobId(jobId);
    } catch (err) {
      // Nothing has started yet (no attempt, no rows): BullMQ retries the job with the backoff.
      const c = classifyError(err);
      log.warn({ code: c.code, err: c.message }, 'cannot read the task record (database unavailable?); the task will be retried');
      finished('retrying');
      throw err;
    }
    if (!record) throw new UnrecoverableError(`JOB_NOT_FOUND: no file record for task ${jobId}`);
    if (FINAL_STATUSES.includes(record.status)) {
      // A duplicate delivery (e.g. a stalled job whose first run had in fact finished): nothing to do.
      log.info({ status: record.status }, 'task already in a final state, skipping');
      const outcome = record.status === 'completed' ? 'already-done' : 'cancelled';
      finished(outcome);
      const { totalRows, cleanedRows, exceptionRows } = record;
      return { outcome, totalRows, cleanedRows, exceptionRows, processingTimeMs: record.processingTimeMs ?? 0 };
    }

    const attemptToken = token ?? `${job.id}:${job.attemptsMade}:${started}`;
    const controller = new AbortController();
    const onBullAbort = () => controller.abort(bullSignal?.reason ?? new ShutdownError());
    bullSignal?.addEventListener('abort', onBullAbort, { once: true });
    this.running.set(jobId, controller);
    const disarm = this.timeouts.watch(controller, started);
    const tracker = new ProgressTracker({
      intervalMs: config.PROGRESS_INTERVAL_MS,
      publish: (p) => job.updateProgress({ ...p }),
    });
    log.info({ file: record.originalName }, 'task started');

    try {
      const stats = await runJob({
        db,
        fileStore,
        jobId,
        token: attemptToken,
        ...pipelineOptionsOf(config),
        signal: controller.signal,
        onProgress: (p) => tracker.update(p),
        isTransient: (err) => classifyError(err).kind === 'retryable',
        onWriteRetry: (err, retry, delayMs) => {
          const c = classifyError(err);
          log.warn({ code: c.code, err: c.message, retry, delayMs }, 'database write failed, retrying the batch');
        },
      });
      await tracker.settled();
      log.info({ totalRows: stats.totalRows, ms: stats.processingTimeMs }, 'task completed');
      finished('completed');
      return {
        outcome: 'completed',
        totalRows: stats.totalRows,
        cleanedRows: stats.cleanedRows,
        exceptionRows: stats.exceptionRows,
        processingTimeMs: stats.processingTimeMs,
      };
    } catch (err) {
      await tracker.settled();
      const reason = err instanceof ProcessAbortedError ? err.reason : err;
      return await this.handleFailure(job, attemptToken, reason, log, finished);
    } finally {
      disarm();
      bullSignal?.removeEventListener('abort', onBullAbort);
      this.running.delete(jobId);
    }
  }

  private async handleFailure(
    job: Job<TaskData, TaskResult>,
    token: string,
    reason: unknown,
    log: Logger,
    finished: (outcome: Parameters<NonNullable<TaskConsumerEvents['onFinished']>>[1]) => void,
  ): Promise<TaskResult> {
    const { db } = this.deps;
    const { jobId } = job.data;
    const empty = { totalRows: 0, cleanedRows: 0, exceptionRows: 0, processingTimeMs: 0 };

    if (reason instanceof StaleAttemptError) {
      // The attempt token was revoked: the task was cancelled (or another worker took it over).
      log.info('task attempt superseded or cancelled, stopping');
      finished('cancelled');
      return { outcome: 'cancelled', ...empty };
    }
    if (reason instanceof ShutdownError) {
      log.warn('shutdown grace period over, handing the task back to the queue');
      await this.releaseAttempt(jobId, token, {}, log);
      finished('released');
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (reason instanceof TaskTimeoutError) {
      log.warn({ timeoutMs: reason.timeoutMs }, 'task timed out');
      await db
        .endAttempt(jobId, token, 'timeout', reason.code, reason.message)
        .catch((e: unknown) => log.error({ err: String(e) }, 'could not record timeout'));
      finished('timeout');
      throw new UnrecoverableError(reason.message);
    }

    const classified = classifyError(reason);
    const attemptsMade = job.attemptsMade + 1;
    if (shouldRetry(classified, attemptsMade, this.deps.config.current.MAX_RETRIES)) {
      log.warn({ code: classified.code, err: classified.message, attemptsMade }, 'retryable error, task will be retried');
      await this.releaseAttempt(
        jobId,
        token,
        { errorCode: classified.code, errorMessage: `第${attemptsMade}次处理失败，将自动重试：${classified.message}` },
        log,
      );
      finished('retrying');
      throw reason instanceof Error ? reason : new Error(classified.message);
    }
    const details = isAppError(reason) ? reason.details : undefined;
    log.error(
      { code: classified.code, err: classified.message, kind: classified.kind, attemptsMade, details, ...this.operatorHint(classified.code, details) },
      'task failed',
    );
    try {
      await db.endAttempt(jobId, token, 'failed', classified.code, classified.message);
    } catch (e) {
      if (!(e instanceof StaleAttemptError)) {
        log.error({ err: String(e) }, 'could not record failure; the recovery manager will');
        throw reason instanceof Error ? reason : new Error(classified.message);
      }
      // No attempt of ours was recorded: the error came before startAttempt (e.g. the stored file
      // is missing on this host). The record is still pending; fail it with the real code now
      // rather than leave it to the recovery manager (which only knows BullMQ's failedReason).
      // A record another worker is processing is left alone.
      const current = await db.getFileRecordByJobId(jobId).catch(() => undefined);
      if (current?.status === 'pending') {
        await db
          .endAttempt(jobId, null, 'failed', classified.code, classified.message)
          .catch((err: unknown) => log.error({ err: String(err) }, 'could not record failure; the recovery manager will'));
      }
    }
    finished('failed');
    throw new UnrecoverableError(`${classified.code}: ${classified.message}`);
  }

  /**
   * Puts the task back to `pending` (shutdown hand-back or automatic retry) — only while `token` is
   * still the current attempt. A worker that lost its job (frozen past its lock, then woken up with
   * a broken connection) must not reset the attempt another worker is running now; that worker
   * would otherwise be stopped as "superseded" and the task bounce through the recovery manager.
   * (Read-then-write, not atomic; the window is one round trip.)
   */
  private async releaseAttempt(jobId: string, token: string, patch: { errorCode?: string; errorMessage?: string }, log: Logger): Promise<void> {
    const { db } = this.deps;
    try {
      const current = await db.getFileRecordByJobId(jobId);
      if (!current || current.status !== 'processing' || current.attemptToken !== token) {
        log.info({ status: current?.status }, 'attempt no longer current; leaving the task record alone');
        return;
      }
      await db.updateFileRecord(jobId, { status: 'pending', ...patch });
    } catch (e) {
      log.warn({ err: String(e) }, 'could not put the task back to pending; the recovery manager will');
    }
  }

  /** Log fields that tell an operator what to check, for failures that are usually configuration. */
  private operatorHint(code: string, details: unknown): { path?: string; hint?: string } {
    const storageKey = (details as { storageKey?: unknown } | undefined)?.storageKey;
    if (code !== 'FILE_NOT_FOUND' || typeof storageKey !== 'string') return {};
    return {
      path: this.deps.fileStore.describe(storageKey),
      hint: 'the stored upload is not visible from this worker: FILE_STORE_URL must name a file store shared by the API and every worker (one shared directory, or s3://)',
    };
  }
}
