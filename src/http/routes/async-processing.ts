import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { callQueue } from '../../queue/task-producer.js';
import type { FileRecord } from '../../storage/index.js';
import type { HttpDeps } from '../app.js';
import { TOKEN_IN_QUERY } from '../auth.js';
import { assertTaskId, FINAL_STATUSES, taskStatus, type TaskStatusView } from '../views.js';

// No length limit here: assertTaskId answers INVALID_TASK_ID for anything that is not a UUID.
const taskParams = { type: 'object', required: ['taskId'], properties: { taskId: { type: 'string' } } } as const;

const HEARTBEAT_MS = 15_000;
/** Safety net under the pushed queue events (e.g. a cancel only changes the database). */
const SSE_POLL_MS = 1000;

export function asyncProcessingRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { db } = deps;

  const load = async (taskId: string): Promise<FileRecord> => {
    assertTaskId(taskId);
    const record = await db.getFileRecordByJobId(taskId);
    if (!record) throw new AppError('JOB_NOT_FOUND', `任务不存在：${taskId}`);
    return record;
  };

  app.get('/api/data-cleaning/check-status/:taskId', { schema: { params: taskParams } }, async (request) => {
    const record = await load((request.params as { taskId: string }).taskId);
    return taskStatus(record, deps.queue);
  });

  app.get('/api/data-cleaning/events/:taskId', { schema: { params: taskParams }, config: TOKEN_IN_QUERY }, async (request, reply) => {
    const { taskId } = request.params as { taskId: string };
    const first = await taskStatus(await load(taskId), deps.queue);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    let last = '';
    let closed = false;
    const send = (view: TaskStatusView) => {
      const data = JSON.stringify(view);
      if (data === last || closed) return;
      last = data;
      res.write(`event: progress\ndata: ${data}\n\n`);
      if (FINAL_STATUSES.has(view.status)) close();
    };
    let refreshing = false;
    const refresh = async () => {
      if (closed || refreshing) return;
      refreshing = true;
      try {
        const record = await db.getFileRecordByJobId(taskId);
        if (record) send(await taskStatus(record, deps.queue));
      } catch (err) {
        request.log.debug({ err }, 'sse refresh failed');
      } finally {
        refreshing = false;
      }
    };
    const onQueueEvent = ({ jobId }: { jobId: string }) => {
      if (jobId === taskId) void refresh();
    };
    const events = deps.queue?.queueEvents();
    events?.on('progress', onQueueEvent);
    events?.on('completed', onQueueEvent);
    events?.on('failed', onQueueEvent);
    const poll = setInterval(() => void refresh(), SSE_POLL_MS);
    const heartbeat = setInterval(() => !closed && res.write(': ping\n\n'), HEARTBEAT_MS);
    function close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      clearInterval(heartbeat);
      events?.off('progress', onQueueEvent);
      events?.off('completed', onQueueEvent);
      events?.off('failed', onQueueEvent);
      res.end();
    }
    request.raw.on('close', close);
    res.write('retry: 2000\n\n');
    send(first);
  });

  app.post('/api/data-cleaning/tasks/:taskId/cancel', { schema: { params: taskParams } }, async (request) => {
    const record = await load((request.params as { taskId: string }).taskId);
    if (record.status !== 'pending' && record.status !== 'processing') {
      throw new AppError('INVALID_STATE', `任务已处于最终状态（${record.status}），无法取消`, { status: record.status });
    }
    // Revoking the attempt token in the database stops a running worker at its next batch
    // (its writes are refused); a queued job is removed so no worker starts it.
    await db.endAttempt(record.jobId, null, 'cancelled', 'CANCELLED', '任务已被用户取消');
    // If Redis is down the queued job stays; a worker that takes it sees `cancelled` and skips it.
    const queue = deps.queue;
    if (queue) await callQueue(queue, () => queue.removeIfIdle(record.jobId)).catch(() => false);
    return { taskId: record.jobId, status: 'cancelled', message: '任务已取消' };
  });

  app.post('/api/data-cleaning/tasks/:taskId/retry', { schema: { params: taskParams } }, async (request) => {
    const record = await load((request.params as { taskId: string }).taskId);
    if (record.status !== 'failed' && record.status !== 'timeout' && record.status !== 'cancelled') {
      throw new AppError('INVALID_STATE', `只有失败、超时或已取消的任务可以重试（当前状态：${record.status}）`, { status: record.status });
    }
    if (!(await deps.fileStore.exists(record.storageKey))) {
      throw new AppError('FILE_NOT_FOUND', '原始上传文件已不存在，无法重试');
    }
    const queue = deps.queue;
    if (!queue) throw new AppError('QUEUE_UNAVAILABLE', '任务队列未配置');
    // The finished BullMQ job still holds this jobId; remove it so the id can be enqueued again.
    // Any queue failure up to here answers QUEUE_UNAVAILABLE with nothing changed.
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
      // The record is pending without enqueuedAt: the RecoveryManager enqueues it once Redis answers.
      request.log.warn({ err, jobId: record.jobId }, 'retry: queue unavailable after reset; recovery will enqueue the task');
      return { taskId: record.jobId, status: 'pending', message: '任务已重新排队（任务队列暂不可用，恢复后将自动开始处理）' };
    }
    await db.updateFileRecord(record.jobId, { enqueuedAt: new Date() }).catch(() => undefined);
    return { taskId: record.jobId, status: 'pending', message: '任务已重新排队' };
  });
}
