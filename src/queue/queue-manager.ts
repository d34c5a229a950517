import { Queue, QueueEvents, type Job, type JobState } from 'bullmq';
import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logging.js';
import { createRedisConnection, describeRedis, queuePrefix, type RedisClient, type RedisSettings } from './connection.js';
import { TASK_NAME, type TaskData, type TaskProgress, type TaskResult } from './types.js';

export type QueueSettings = RedisSettings & Pick<Config, 'QUEUE_NAME' | 'RESULT_TTL_DAYS'>;

export interface QueueCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
  paused: number;
  prioritized: number;
}

export interface TaskState {
  state: JobState | 'unknown';
  progress?: TaskProgress;
  attemptsMade: number;
  failedReason?: string;
  result?: TaskResult;
}

/** Retries are decided by the TaskConsumer (hot-reloadable MAX_RETRIES), so BullMQ may always retry. */
const BULLMQ_ATTEMPTS = 1000;

/**
 * The producer side of the queue: one Redis connection that fails fast (so an API request gets a
 * clear QUEUE_UNAVAILABLE instead of hanging), enqueue with jobId = taskId (idempotent), task
 * state/progress reads, statistics and health. Workers use TaskConsumer.
 */
export class QueueManager {
  readonly queue: Queue<TaskData, TaskResult>;
  readonly connection: RedisClient;
  private events?: QueueEvents;

  constructor(
    private readonly settings: QueueSettings,
    private readonly logger?: Logger,
  ) {
    this.connection = createRedisConnection(settings, 'client', logger);
    this.queue = new Queue<TaskData, TaskResult>(settings.QUEUE_NAME, {
      connection: this.connection,
      prefix: queuePrefix(settings),
      defaultJobOptions: {
        attempts: BULLMQ_ATTEMPTS,
        backoff: { type: 'custom' },
        // Finished jobs are kept as long as the results, so their final progress stays readable.
        removeOnComplete: { age: Math.max(3600, Math.round(settings.RESULT_TTL_DAYS * 86_400)) },
        removeOnFail: { age: Math.max(3600, Math.round(settings.RESULT_TTL_DAYS * 86_400)) },
      },
    });
    this.queue.on('error', (err) => this.logger?.debug({ err: err.message }, 'queue error'));
  }

  get name(): string {
    return this.settings.QUEUE_NAME;
  }

  get prefix(): string {
    return queuePrefix(this.settings);
  }

  /** Waits until Redis answers (or the timeout passes); true when ready. */
  async waitUntilReady(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.ping()) !== undefined) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** Enqueues a task; enqueueing the same jobId twice is a no-op. Throws QUEUE_UNAVAILABLE. */
  async enqueue(task: TaskData): Promise<void> {
    try {
      await this.queue.add(TASK_NAME, task, { jobId: task.jobId });
    } catch (err) {
      throw new AppError('QUEUE_UNAVAILABLE', '任务队列暂不可用，请稍后重试', { redis: describeRedis(this.settings) }, { cause: err });
    }
  }

  async getJob(jobId: string): Promise<Job<TaskData, TaskResult> | undefined> {
    try {
      return (await this.queue.getJob(jobId)) ?? undefined;
    } catch (err) {
      throw new AppError('QUEUE_UNAVAILABLE', '任务队列暂不可用', undefined, { cause: err });
    }
  }

  /** State and progress of a task, or undefined when the queue has no such job. */
  async getTaskState(jobId: string): Promise<TaskState | undefined> {
    const job = await this.getJob(jobId);
    if (!job) return undefined;
    const state = await job.getState();
    const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as TaskProgress) : undefined;
    return {
      state,
      progress,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || undefined,
      result: job.returnvalue ?? undefined,
    };
  }

  /** Removes a job that is not running; false when it is locked by a worker or already gone. */
  async removeIfIdle(jobId: string): Promise<boolean> {
    const job = await this.getJob(jobId);
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'paused', 'prioritized');
    return {
      waiting: c.waiting ?? 0,
      active: c.active ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
      delayed: c.delayed ?? 0,
      paused: c.paused ?? 0,
      prioritized: c.prioritized ?? 0,
    };
  }

  /** Number of worker connections currently consuming this queue. */
  async workerCount(): Promise<number> {
    return (await this.queue.getWorkers()).length;
  }

  /** Round-trip time to Redis in ms, or undefined when it does not answer. */
  async ping(): Promise<number | undefined> {
    const started = performance.now();
    try {
      await Promise.race([this.connection.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('ping timeout')), 1000).unref())]);
      return Math.round((performance.now() - started) * 100) / 100;
    } catch {
      return undefined;
    }
  }

  /** A shared QueueEvents stream (progress/completed/failed of every job), created on first use. */
  queueEvents(): QueueEvents {
    if (!this.events) {
      this.events = new QueueEvents(this.settings.QUEUE_NAME, {
        connection: createRedisConnection(this.settings, 'blocking', this.logger),
        prefix: queuePrefix(this.settings),
      });
      this.events.on('error', (err) => this.logger?.debug({ err: err.message }, 'queue events error'));
    }
    return this.events;
  }

  async close(): Promise<void> {
    await this.events?.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
  }
}
