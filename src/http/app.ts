import { randomUUID } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { TaskService } from '../queue/task-service.js';
import { requireToken } from './auth.js';
import { dashboardPlugin } from './dashboard.js';
import type { AppServices, HttpDeps } from './deps.js';
import { registerErrorHandling } from './errors.js';
import { exposurePlugin, exposureProblem } from './exposure.js';
import { InlineWork } from './inline-work.js';
import { openApiPlugin } from './openapi.js';
import { eventRoutes } from './routes/events.js';
import { fileRoutes } from './routes/files.js';
import { operationsRoutes, queueRoutes } from './routes/operations.js';
import { resultRoutes } from './routes/results.js';
import { taskRoutes } from './routes/tasks.js';
import { uploadRoutes } from './routes/uploads.js';
import { TaskWatch } from './task-watch.js';
import { webUiPlugin } from './web-ui.js';

export type { HttpDeps } from './deps.js';

const POLLING_ROUTES = new Set(['/api/data-cleaning/check-status/:taskId', '/api/data-cleaning/status/:jobId', '/health/ready']);
/** Safety net under the pushed queue events of SSE streams (see TaskWatch). */
const SSE_POLL_MS = 1000;

/** Thrown by buildApp when the configuration would expose the API unsafely (message: what to do). */
export class ExposureError extends Error {
  override name = 'ExposureError';
}

/**
 * The HTTP API (Fastify): one plugin per resource (uploads, files, results, tasks, events, queue,
 * operations), the OpenAPI document, the Bull Board dashboard and the web UI. Thin: every route
 * delegates to storage, queue or pipeline code; the services they share are `app.deps`.
 */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const c = deps.config.current;
  const problem = exposureProblem(c);
  if (problem) throw new ExposureError(problem);
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 100) : randomUUID()),
    // Uploads are multipart streams (limited by MAX_FILE_SIZE); JSON bodies are small.
    bodyLimit: 1024 * 1024,
    // Slow clients cannot hold sockets (and upload temp files) forever.
    requestTimeout: c.REQUEST_TIMEOUT_MS,
    connectionTimeout: c.CONNECTION_TIMEOUT_MS,
    // Node checks request and header deadlines at this interval (default 30 s).
    http: { headersTimeout: Math.min(c.HEADERS_TIMEOUT_MS, c.REQUEST_TIMEOUT_MS), connectionsCheckingInterval: 1000 },
    // Requests are logged once, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    // Longer ids still reach validation, which answers INVALID_TASK_ID (not a bare 404/414).
    routerOptions: { maxParamLength: 1000 },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const watch = new TaskWatch({ db: deps.db, queue: deps.queue, logger: deps.logger, pollMs: SSE_POLL_MS });
  const services: AppServices = {
    ...deps,
    tasks: new TaskService({ db: deps.db, fileStore: deps.fileStore, queue: deps.queue, logger: deps.logger }),
    watch,
    inline: new InlineWork(() => ({ concurrency: deps.config.current.INLINE_CONCURRENCY, queue: deps.config.current.INLINE_QUEUE })),
  };
  app.decorate('deps', services);
  app.addHook('onClose', async () => watch.close());

  registerErrorHandling(app);
  await app.register(exposurePlugin, { config: deps.config });
  await app.register(fastifyMultipart, { throwFileSizeLimit: true });
  await app.register(openApiPlugin, { version: deps.version });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (route === '/health/live' || route === '/metrics') return;
    const entry = { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    // Status polling (thousands a second from progress bars) is logged at debug unless it fails.
    if (reply.statusCode < 400 && POLLING_ROUTES.has(route)) request.log.debug(entry, 'request');
    else request.log.info(entry, 'request');
  });

  // Everything under /api except the UI's configuration and the API's own documentation needs the token.
  await app.register(async (api) => {
    api.addHook(
      'preHandler',
      requireToken(() => deps.config.current.API_TOKEN),
    );
    await api.register(uploadRoutes);
    await api.register(fileRoutes);
    await api.register(resultRoutes);
    await api.register(taskRoutes);
    await api.register(eventRoutes);
    await api.register(queueRoutes);
  });
  await app.register(operationsRoutes);
  await app.register(dashboardPlugin);
  await app.register(webUiPlugin);
  return app;
}
