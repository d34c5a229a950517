import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FastifyAdapter } from '@bull-board/fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ConfigStore } from '../config/index.js';
import type { Logger } from '../logging.js';
import type { ParseLimits } from '../parsing/types.js';
import type { QueueManager } from '../queue/queue-manager.js';
import type { TaskProducer } from '../queue/task-producer.js';
import type { Database, FileStore } from '../storage/index.js';
import { isLoopbackHost, presentedToken, requireToken, TOKEN_COOKIE } from './auth.js';
import { isAppError } from '../errors.js';
import { errorBody, registerErrorHandling, sendError } from './errors.js';
import type { Metrics } from './metrics.js';
import { asyncProcessingRoutes } from './routes/async-processing.js';
import { dataCleaningRoutes } from './routes/data-cleaning.js';
import { operationsRoutes, queueRoutes } from './routes/operations.js';

const POLLING_ROUTES = new Set(['/api/data-cleaning/check-status/:taskId', '/api/data-cleaning/status/:jobId', '/health/ready']);

export interface HttpDeps {
  config: ConfigStore;
  db: Database;
  fileStore: FileStore;
  /** Absent when the API runs without Redis (sync mode only). */
  queue?: QueueManager;
  producer: TaskProducer;
  metrics: Metrics;
  logger: Logger;
  version: string;
  parseLimits: () => Partial<ParseLimits>;
}

/**
 * Built web UI (web/dist), relative to this module in src/ (tsx), dist/src/ (node) and private
 * builds under .tmp/<name>/src/ (tests); DCS_WEB_ROOT overrides.
 */
export function webRoot(): string | undefined {
  if (process.env.DCS_WEB_ROOT) return existsSync(`${process.env.DCS_WEB_ROOT}/index.html`) ? process.env.DCS_WEB_ROOT : undefined;
  for (const rel of ['../../web/dist', '../../../web/dist', '../../../../web/dist']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`)) return dir;
  }
  return undefined;
}

/**
 * The HTTP API (Fastify): DataCleaningController and AsyncProcessingController routes, queue
 * statistics, health and metrics, the Bull Board dashboard and the web UI. Thin: every route
 * delegates to storage, queue or pipeline code.
 */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 100) : randomUUID()),
    // Uploads are multipart streams (limited by MAX_FILE_SIZE); JSON bodies are small.
    bodyLimit: 1024 * 1024,
    // Requests are logged once, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    // Longer ids still reach the routes, which answer INVALID_TASK_ID (not a bare 404/414).
    routerOptions: { maxParamLength: 1000 },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
  });
  registerErrorHandling(app);
  await app.register(fastifyMultipart, { throwFileSizeLimit: true });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    if (route === '/health/live' || route === '/metrics') return;
    const entry = { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    // Status polling (thousands a second from progress bars) is logged at debug unless it fails.
    if (reply.statusCode < 400 && POLLING_ROUTES.has(route)) request.log.debug(entry, 'request');
    else request.log.info(entry, 'request');
  });

  const token = () => deps.config.current.API_TOKEN;
  await app.register(async (api) => {
    api.addHook('preHandler', requireToken(token));
    dataCleaningRoutes(api, deps);
    asyncProcessingRoutes(api, deps);
    queueRoutes(api, deps);
  });
  operationsRoutes(app, deps);

  await registerDashboard(app, deps);

  const root = webRoot();
  if (root) {
    await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'] });
    // Client-side routes (hash router) need only '/', but unknown non-API GETs get the app too.
    app.get('/*', async (request, reply) => {
      const path = request.url.split('?')[0];
      if (path.startsWith('/api/') || path.startsWith('/health') || path.startsWith('/admin')) {
        return reply.code(404).send(errorBody(404, 'NOT_FOUND', `接口不存在：${request.method} ${path}`));
      }
      return reply.sendFile('index.html');
    });
  } else {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('Web UI not built. Run `npm run build` (the API is available under /api).'),
    );
  }
  return app;
}

/**
 * Bull Board at /admin/queues. It exposes every task, so it requires API_TOKEN unless the server
 * only listens on localhost; without a token on a public address it is not mounted at all.
 */
async function registerDashboard(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const basePath = '/admin/queues';
  const host = deps.config.current.HOST;
  if (!deps.queue) return;
  if (!isLoopbackHost(host) && !deps.config.current.API_TOKEN) {
    deps.logger.warn({ host }, 'queue dashboard disabled: set API_TOKEN to use it on a non-local address');
    app.get(basePath, async (_request, reply) => reply.code(403).send(errorBody(403, 'UNAUTHORIZED', '队列面板仅在设置 API_TOKEN 后对非本机地址开放')));
    return;
  }
  const adapter = new FastifyAdapter();
  createBullBoard({ queues: [new BullMQAdapter(deps.queue.queue)], serverAdapter: adapter });
  adapter.setBasePath(basePath);
  await app.register(async (board) => {
    board.addHook('onRequest', async (request, reply) => {
      const expected = deps.config.current.API_TOKEN;
      if (!expected) return;
      try {
        await requireToken(() => expected, { query: true, cookie: true })(request, reply);
      } catch (err) {
        // Answered here: Bull Board's own error handler would turn the refusal into a 500.
        if (isAppError(err)) return sendError(reply, err);
        throw err;
      }
      // Links inside the dashboard carry no token: remember it in an HttpOnly cookie.
      const query = (request.query as Record<string, unknown>)?.token;
      if (typeof query === 'string' && query === presentedToken(request, { query: true })) {
        reply.header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(query)}; HttpOnly; SameSite=Strict; Path=${basePath}`);
      }
    });
    await board.register(adapter.registerPlugin(), { prefix: basePath });
  });
}
