import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { isAppError } from '../errors.js';
import { isLoopbackHost, presentedToken, requireToken, TOKEN_COOKIE } from './auth.js';
import { errorBody, sendError } from './errors.js';

const BASE_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues. It shows every task, so:
 * - with API_TOKEN it requires the token (header, `?token=` once, then an HttpOnly cookie) and
 *   may retry, remove or promote jobs;
 * - without a token it is read-only (no action buttons, and every request other than GET/HEAD is
 *   refused), and on a non-local address it is not mounted at all.
 */
export async function dashboardPlugin(app: FastifyInstance): Promise<void> {
  const { queue, config, logger } = app.deps;
  if (!queue) return;
  const token = config.current.API_TOKEN;
  const host = config.current.HOST;
  if (!isLoopbackHost(host) && !token) {
    logger.warn({ host }, 'queue dashboard disabled: set API_TOKEN to use it on a non-local address');
    app.get(BASE_PATH, { schema: { hide: true } }, async (_request, reply) =>
      reply.code(403).send(errorBody(403, 'UNAUTHORIZED', '队列面板仅在设置 API_TOKEN 后对非本机地址开放')),
    );
    return;
  }
  const adapter = new FastifyAdapter();
  createBullBoard({ queues: [new BullMQAdapter(queue.queue, { readOnlyMode: !token })], serverAdapter: adapter });
  adapter.setBasePath(BASE_PATH);
  await app.register(async (board) => {
    board.addHook('onRequest', async (request, reply) => {
      if (!token) {
        if (request.method === 'GET' || request.method === 'HEAD') return;
        return reply.code(403).send(errorBody(403, 'FORBIDDEN', '队列面板为只读：设置 API_TOKEN 后才能操作任务'));
      }
      try {
        await requireToken(() => token, { query: true, cookie: true })(request, reply);
      } catch (err) {
        // Answered here: Bull Board's own error handler would turn the refusal into a 500.
        if (isAppError(err)) return sendError(reply, err);
        throw err;
      }
      // Links inside the dashboard carry no token: remember it in an HttpOnly cookie.
      const query = new URL(request.url, 'http://x').searchParams.get('token');
      if (query && query === presentedToken(request, { query: true })) {
        reply.header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(query)}; HttpOnly; SameSite=Strict; Path=${BASE_PATH}`);
      }
    });
    await board.register(adapter.registerPlugin(), { prefix: BASE_PATH });
  });
}
