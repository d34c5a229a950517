import { AppError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { Database, FileRecord, FileStore } from '../storage/index.js';
import type { QueueManager } from './queue-manager.js';
import { callQueue } from './task-producer.js';

/** What a cancel or retry answers (the original response shape of both routes). */
export interface TaskTransition {
  taskId: string;
  status: 'cancelled' | 'pending';
  message: string;
}

/**
 * Cancel and retry of a task: the orchestration across the database (the truth for a task's
 * status) and the queue (which holds the job), so HTTP routes stay thin.
 *
 * Rules:
 * - cancel: only a `pending` or `processing` task. The attempt token is revoked in the database
 *   first, which stops a running worker at its next batch (its writes are refused); a queued job is
 *   then removed so no worker starts it. With Redis down the job stays queued, and the worker that
 *   takes it sees `cancelled` and skips it.
 * - retry: only a `failed`, `timeout` or `cancelled` task whose upload still exists. The finished
 *   BullMQ job still holds the id, so it is removed first (refused while a worker still ends it);
 *   any queue failure up to there changes nothing (QUEUE_UNAVAILABLE). Then the record goes back to
 *   `pending` and is enqueued; if Redis fails at that last step the RecoveryManager enqueues it.
 */
export class TaskService {
  constructor(private readonly deps: { db: Database; fileStore: FileStore; queue?: QueueManager; logger: Logger }) {}

  async cancel(record: FileRecord): Promise<TaskTransition> {
    if (record.status !== 'pending' && record.status !== 'processing') {
      throw new AppError('INVALID_STATE', `任务已处于最终状态（${record.status}），无法取消`, { status: record.status });
    }
    await this.deps.db.endAttempt(record.jobId, null, 'cancelled', 'CANCELLED', '任务已被用户取消');
    const queue = this.deps.queue;
    if (queue) await callQueue(queue, () => queue.removeIfIdle(record.jobId)).catch(() => false);
    return { taskId: record.jobId, status: 'cancelled', message: '任务已取消' };
  }

  async retry(record: FileRecord): Promise<TaskTransition> {
    const { db, fileStore, queue, logger } = this.deps;
    if (record.status !== 'failed' && record.status !== 'timeout' && record.status !== 'cancelled') {
      throw new AppError('INVALID_STATE', `只有失败、超时或已取消的任务可以重试（当前状态：${record.status}）`, { status: record.status });
    }
    if (!(await fileStore.exists(record.storageKey))) throw new AppError('FILE_NOT_FOUND', '原始上传文件已不存在，无法重试');
    if (!queue) throw new AppError('QUEUE_UNAVAILABLE', '任务队列未配置');
    await callQueue(queue, async () => {
      const job = await queue.getJob(record.jobId);
      if (!job) return;
      if ((await job.getState()) === 'active') throw new AppError('INVALID_STATE', '任务仍在某个处理进程中结束，请稍后再试');
      await job.remove();
    });
    await db.resetForRetry(record.jobId);
    try {
      await callQueue(queue, () => queue.enqueue({ jobId: record.jobId, fileId: record.id }));
    } catch (err) {
      logger.warn({ err, jobId: record.jobId }, 'retry: queue unavailable after reset; recovery will enqueue the task');
      return { taskId: record.jobId, status: 'pending', message: '任务已重新排队（任务队列暂不可用，恢复后将自动开始处理）' };
    }
    await db.updateFileRecord(record.jobId, { enqueuedAt: new Date() }).catch(() => undefined);
    return { taskId: record.jobId, status: 'pending', message: '任务已重新排队' };
  }
}
