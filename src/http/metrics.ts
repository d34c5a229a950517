import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueManager } from '../queue/queue-manager.js';
import type { TaskResult } from '../queue/types.js';
import type { Database } from '../storage/index.js';
import { FINAL_STATUSES, type UnsuccessfulStatus } from '../domain/index.js';

/** How a task ended, as counted by dcs_tasks_finished_total. */
type FinishedOutcome = 'completed' | UnsuccessfulStatus;

/**
 * Prometheus metrics of an API instance. Queue gauges are read from Redis at scrape time (the same
 * numbers for every instance); task counters follow the queue's event stream, so each instance
 * counts every task of the cluster from the moment it started (use rate()/increase()).
 *
 * BullMQ knows only "completed" and "failed": a timed-out task and a task cancelled after a worker
 * took it also end as failed jobs there. With `db`, the outcome of a failed job is the task's
 * status in the database (the worker records it before it tells BullMQ), so timeouts and cancels
 * are not counted as failures; without it every failed job counts as `failed`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly uploads: Counter<'mode'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly tasksFinished: Counter<'outcome'>;
  readonly rowsProcessed: Counter;
  readonly processingSeconds: Histogram;
  readonly queueWaitSeconds: Histogram;
  private detach?: () => void;

  constructor(queue: QueueManager | undefined, db?: Pick<Database, 'getFileRecordByJobId'>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'dcs_' });
    this.uploads = new Counter({ name: 'dcs_uploads_total', help: 'Accepted uploads by mode', labelNames: ['mode'], registers: [this.registry] });
    this.httpDuration = new Histogram({
      name: 'dcs_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
    this.tasksFinished = new Counter({
      name: 'dcs_tasks_finished_total',
      help: 'Tasks finished, by outcome (completed | failed | timeout | cancelled)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    // Every outcome is exported from the start (0), so rate() and ratios work before the first one.
    for (const outcome of FINAL_STATUSES) this.tasksFinished.inc({ outcome }, 0);
    this.rowsProcessed = new Counter({ name: 'dcs_rows_processed_total', help: 'Rows of completed tasks', registers: [this.registry] });
    this.processingSeconds = new Histogram({
      name: 'dcs_task_processing_seconds',
      help: 'Processing time of completed tasks',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [this.registry],
    });
    this.queueWaitSeconds = new Histogram({
      name: 'dcs_task_queue_wait_seconds',
      help: 'Time from enqueue to processing start of completed tasks',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
      registers: [this.registry],
    });

    if (queue) {
      const jobs = new Gauge({
        name: 'dcs_queue_jobs',
        help: 'Jobs in the queue by state',
        labelNames: ['state'],
        registers: [this.registry],
        async collect() {
          try {
            const counts = await queue.counts();
            for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
          } catch {
            // Redis down: keep the last values; readiness reports the outage
          }
        },
      });
      void jobs;
      new Gauge({
        name: 'dcs_workers_active',
        help: 'Worker connections consuming the queue',
        registers: [this.registry],
        async collect() {
          try {
            this.set(await queue.workerCount());
          } catch {
            // see above
          }
        },
      });
      const events = queue.queueEvents();
      const onCompleted = async ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
        const result = (typeof returnvalue === 'string' ? safeJson(returnvalue) : returnvalue) as TaskResult | undefined;
        if (result?.outcome === 'cancelled') {
          // The worker stopped because its attempt was revoked: a cancel — or another worker took the
          // task over after a stall, which is no outcome at all.
          const record = db ? await db.getFileRecordByJobId(jobId).catch(() => undefined) : undefined;
          if (!db || record?.status === 'cancelled') this.tasksFinished.inc({ outcome: 'cancelled' });
          return;
        }
        if (result?.outcome !== 'completed') return; // 'already-done': a duplicate delivery, counted once already
        this.tasksFinished.inc({ outcome: 'completed' });
        this.rowsProcessed.inc(result.totalRows);
        this.processingSeconds.observe(result.processingTimeMs / 1000);
        const job = await queue.getJob(jobId).catch(() => undefined);
        if (job?.processedOn) this.queueWaitSeconds.observe(Math.max(0, job.processedOn - job.timestamp) / 1000);
      };
      const onFailed = async ({ jobId }: { jobId: string }) => {
        const record = await db?.getFileRecordByJobId(jobId).catch(() => undefined);
        const outcome: FinishedOutcome = record?.status === 'timeout' || record?.status === 'cancelled' ? record.status : 'failed';
        this.tasksFinished.inc({ outcome });
      };
      events.on('completed', onCompleted);
      events.on('failed', onFailed);
      this.detach = () => {
        events.off('completed', onCompleted);
        events.off('failed', onFailed);
      };
    }
  }

  close(): void {
    this.detach?.();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
