import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { COLUMN_TYPES } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import { callQueue } from '../../queue/task-producer.js';
import { ClientConfig, errorResponses, Liveness, QueueStats, Readiness } from '../schemas.js';

const STATS_WINDOW_MS = 15 * 60_000;

/** Queue statistics (behind the API token like every /api route). */
export const queueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.deps;
  app.get(
    '/api/queue/stats',
    { schema: { tags: ['operations'], summary: 'Queue counts, workers, throughput and recent failures', response: { 200: QueueStats, ...errorResponses } } },
    async () => {
      const queue = app.deps.queue;
      if (!queue) throw new AppError('QUEUE_UNAVAILABLE', '任务队列未配置');
      const [counts, workers] = await callQueue(queue, () => Promise.all([queue.counts(), queue.workerCount()]));
      const window = await db.activitySince(new Date(Date.now() - STATS_WINDOW_MS));
      // Timed-out tasks are errors too; a user's cancel is not.
      const unsuccessful = window.failed + window.timedOut;
      const finished = window.completed + unsuccessful;
      const recent = await db.findRecordsByStatus(['failed', 'timeout'], { limit: 10, orderBy: 'completedAtDesc' });
      return {
        counts,
        workers,
        throughput: {
          jobsPerMinute: Math.round((window.completed / (STATS_WINDOW_MS / 60_000)) * 100) / 100,
          rowsPerSecond: Math.round((window.completedRows / (STATS_WINDOW_MS / 1000)) * 10) / 10,
        },
        errorRate: finished === 0 ? 0 : Math.round((unsuccessful / finished) * 10_000) / 10_000,
        recentFailures: recent.map((r) => ({
          taskId: r.jobId,
          fileName: r.originalName,
          status: r.status,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          failedAt: r.completedAt ? r.completedAt.toISOString() : null,
        })),
        timestamp: new Date().toISOString(),
      };
    },
  );
};

/**
 * Open routes: UI configuration (nothing secret: lets the UI know a token is needed), health and
 * metrics. Health answers name what is down, never a driver's own message (it may carry hosts,
 * users or paths); the details go to the log.
 */
export const operationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = app.deps;

  app.get('/api/config', { schema: { tags: ['operations'], summary: 'What the web UI needs to know', response: { 200: ClientConfig } } }, async () => {
    const config = deps.config.current;
    return {
      maxFileSize: config.MAX_FILE_SIZE,
      acceptedExtensions: ['.xlsx', '.xls', '.csv'],
      columnTypes: [...COLUMN_TYPES],
      authRequired: Boolean(config.API_TOKEN),
      version: deps.version,
    };
  });

  app.get('/health/live', { schema: { tags: ['operations'], summary: 'Liveness', response: { 200: Liveness } }, config: { rateLimit: false } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/health/ready',
    { schema: { tags: ['operations'], summary: 'Readiness (database and Redis)', response: { 200: Readiness, 503: Readiness } }, config: { rateLimit: false } },
    async (request, reply) => {
      const started = performance.now();
      let database: { status: 'ok' | 'error'; latencyMs?: number; error?: string };
      try {
        await deps.db.ping();
        database = { status: 'ok', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
      } catch (err) {
        request.log.warn({ err }, 'readiness: database check failed');
        database = { status: 'error', error: 'database unavailable' };
      }
      const redisLatency = deps.queue ? await deps.queue.ping() : undefined;
      // Without Redis configured the API serves synchronous uploads only: ready when the database is.
      const redis = deps.queue
        ? redisLatency === undefined
          ? { status: 'error' as const, error: 'no answer from Redis' }
          : { status: 'ok' as const, latencyMs: redisLatency }
        : { status: 'disabled' as const };
      const ok = database.status === 'ok' && redis.status !== 'error';
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'error', checks: { redis, database } });
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (text format)' } }, async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.header('Content-Type', deps.metrics.registry.contentType).send(body);
  });
};
