import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

/**
 * Built web UI (web/dist), relative to this module in src/ (tsx), dist/src/ (node) and private
 * builds under .tmp/<name>/src/ (tests); DCS_WEB_ROOT overrides.
 */
function webRoot(): string | undefined {
  if (process.env.DCS_WEB_ROOT) return existsSync(`${process.env.DCS_WEB_ROOT}/index.html`) ? process.env.DCS_WEB_ROOT : undefined;
  for (const rel of ['../../web/dist', '../../../web/dist', '../../../../web/dist']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`)) return dir;
  }
  return undefined;
}

/** The web UI's files at `/`; unknown non-API GETs get the app too (client-side routes). */
export async function webUiPlugin(app: FastifyInstance): Promise<void> {
  const root = webRoot();
  if (!root) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('Web UI not built. Run `npm run build` (the API is available under /api).'),
    );
    return;
  }
  await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'] });
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/api/') || path.startsWith('/health') || path.startsWith('/admin')) {
      return reply.code(404).send(errorBody(404, 'NOT_FOUND', `接口不存在：${request.method} ${path}`));
    }
    return reply.sendFile('index.html');
  });
}
