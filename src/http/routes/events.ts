import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FINAL_STATUSES } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import { TOKEN_IN_QUERY } from '../auth.js';
import type { TaskStatusDto } from '../dto.js';
import { taskRecord } from '../records.js';
import { errorResponses, EventsQuery, TaskIdParams } from '../schemas.js';

const HEARTBEAT_MS = 15_000;

/**
 * Server-Sent Events of one task's status: `progress` events carrying the check-status body,
 * sent on every change until a final status, then the stream ends. The first event is sent once
 * the stream is subscribed to changes, so a client that has it will see every later change.
 * Streams per instance are capped (MAX_SSE_CONNECTIONS: 429 RATE_LIMITED beyond).
 */
export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, watch, config } = app.deps;

  app.get(
    '/api/data-cleaning/events/:taskId',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Live status (text/event-stream of `progress` events)',
        params: TaskIdParams,
        querystring: EventsQuery,
        response: errorResponses,
      },
      config: TOKEN_IN_QUERY,
    },
    async (request, reply) => {
      const { taskId } = request.params;
      // 404 for an unknown task; a task other streams watch exists (500 streams: one lookup).
      if (!watch.isWatched(taskId)) await taskRecord(db, taskId);
      if (watch.connections >= config.current.MAX_SSE_CONNECTIONS) {
        throw new AppError('RATE_LIMITED', '实时进度连接过多，请稍后重试或改用状态查询接口', { limit: config.current.MAX_SSE_CONNECTIONS });
      }
      let closed = false;
      let last = '';
      const res = reply.raw;
      const send = (view: TaskStatusDto) => {
        const data = JSON.stringify(view);
        if (data === last || closed) return;
        last = data;
        res.write(`event: progress\ndata: ${data}\n\n`);
        if (FINAL_STATUSES.includes(view.status)) close();
      };
      const unsubscribe = watch.subscribe(taskId, send);
      const heartbeat = setInterval(() => !closed && res.write(': ping\n\n'), HEARTBEAT_MS);
      function close() {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        res.end();
      }
      res.on('close', close);
      reply.hijack();
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
        'X-Request-Id': request.id,
      });
      res.write('retry: 2000\n\n');
      // Read after subscribing, so a change in between cannot be missed; the read is shared with
      // every stream of the task that asks at the same time (500 new streams cost one read).
      watch.notify(taskId);
    },
  );
};
