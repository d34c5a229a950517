import { randomUUID } from 'node:crypto';
import type { ConfigStore } from '../config/index.js';
import type { Logger } from '../logging.js';
import type { Database } from '../storage/index.js';
import type { QueueManager } from './queue-manager.js';
import { TimeoutManager } from './timeout-manager.js';

export interface RecoveryReport {
  enqueued: string[];
  requeued: string[];
  failed: string[];
  timedOut: string[];
  skipped: boolean;
}

const BATCH = 500;

/**
 * Reconciles the database (the record of every upload) with the queue, at start and periodically
 * (SPEC R7.3, R3.7). BullMQ itself moves jobs of crashed workers back to the queue (stalled-job
 * detection); this manager repairs what BullMQ cannot see:
 * - a `pending` record without a job (Redis was down at upload, or lost its data) is enqueued;
 * - a `processing` record whose job is gone is made `pending` and enqueued again;
 * - a record whose job failed in BullMQ without the database hearing of it (a worker crashed
 *   repeatedly, or the database was down at that moment) is marked `failed` with BullMQ's reason;
 * - a `processing` record past JOB_TIMEOUT_MS whose job is not running is marked `timeout`.
 * Only one instance reconciles at a time (a Redis lock); every step is idempotent.
 */
export class RecoveryManager {
  private timer?: NodeJS.Timeout;
  private running?: Promise<RecoveryReport>;
  private readonly timeouts: TimeoutManager;

  constructor(private readonly deps: { db: Database; queue: QueueManager; config: ConfigStore; logger: Logger; now?: () => number }) {
    this.timeouts = new TimeoutManager({ timeoutMs: () => deps.config.current.JOB_TIMEOUT_MS, now: deps.now });
  }

  /** Reconciles now, then every RECOVERY_INTERVAL_MS (hot-reloadable) until stop(). */
  start(): void {
    const schedule = () => {
      this.timer = setTimeout(() => {
        void this.reconcile().finally(schedule);
      }, this.deps.config.current.RECOVERY_INTERVAL_MS);
      this.timer.unref();
    };
    void this.reconcile().finally(schedule);
    // Right after Redis comes back, uploads accepted during the outage are enqueued without waiting.
    this.deps.queue.connection.on('ready', () => void this.reconcile());
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One reconciliation pass (concurrent calls share the pass in progress). */
  reconcile(): Promise<RecoveryReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<RecoveryReport> {
    const { db, queue, logger } = this.deps;
    const report: RecoveryReport = { enqueued: [], requeued: [], failed: [], timedOut: [], skipped: false };
    const now = this.deps.now?.() ?? Date.now();
    const config = this.deps.config.current;
    const lockKey = `${queue.prefix}:${queue.name}:recovery-lock`;
    const lockValue = randomUUID();
    try {
      const locked = await queue.connection.set(lockKey, lockValue, 'PX', Math.max(10_000, config.RECOVERY_INTERVAL_MS), 'NX');
      if (locked !== 'OK') return { ...report, skipped: true };
    } catch {
      return { ...report, skipped: true }; // Redis is down: nothing can be reconciled now
    }

    try {
      const updatedBefore = new Date(now - config.RECOVERY_GRACE_MS);
      // Uploads that never reached the queue (Redis was down) come first: behind a backlog of more
      // than BATCH healthy waiting tasks, the oldest-first scan alone would not reach them until
      // the backlog drained.
      const neverEnqueued = await db.findRecordsByStatus(['pending'], { updatedBefore, enqueued: false, limit: BATCH });
      const oldest = await db.findRecordsByStatus(['pending', 'processing'], { updatedBefore, limit: BATCH });
      const seen = new Set(neverEnqueued.map((r) => r.jobId));
      const records = [...neverEnqueued, ...oldest.filter((r) => !seen.has(r.jobId))];
      for (const record of records) {
        const state = await queue.getTaskState(record.jobId);
        const jobState = state?.state ?? 'missing';
        if (jobState === 'active' || jobState === 'waiting' || jobState === 'delayed' || jobState === 'prioritized' || jobState === 'waiting-children') {
          continue; // BullMQ owns it (a stalled active job is moved back by the workers' stalled check)
        }
        if (jobState === 'failed') {
          const message = state?.failedReason ?? '任务失败';
          await db.endAttempt(record.jobId, null, 'failed', 'TASK_FAILED', message);
          report.failed.push(record.jobId);
          continue;
        }
        if (record.status === 'processing' && record.startedAt && this.timeouts.isOverdue(record.startedAt, config.LOCK_DURATION_MS)) {
          await db.endAttempt(record.jobId, null, 'timeout', 'PROCESSING_TIMEOUT', '处理超时：处理任务的进程已失联且超过最长处理时间');
          report.timedOut.push(record.jobId);
          continue;
        }
        // No live job (missing, or completed/unknown while the record says otherwise): run it again.
        if (state)
          await queue
            .getJob(record.jobId)
            .then((job) => job?.remove())
            .catch(() => undefined);
        if (record.status === 'processing') await db.updateFileRecord(record.jobId, { status: 'pending' });
        await queue.enqueue({ jobId: record.jobId, fileId: record.id });
        await db.updateFileRecord(record.jobId, { enqueuedAt: new Date(now) });
        (record.status === 'processing' ? report.requeued : report.enqueued).push(record.jobId);
      }
      const changed = report.enqueued.length + report.requeued.length + report.failed.length + report.timedOut.length;
      if (changed > 0) logger.info({ ...report, skipped: undefined }, 'recovery: reconciled database and queue');
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'recovery pass interrupted; will try again');
    } finally {
      // Release only our own lock.
      await queue.connection
        .eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, lockKey, lockValue)
        .catch(() => undefined);
    }
    return report;
  }
}
