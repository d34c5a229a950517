/**
 * Who may reach the API, and how (issue 10.3; threat model in docs/SECURITY.md).
 *
 * Rules:
 * 1. Start: a HOST other than a loopback address needs API_TOKEN, unless ALLOW_PUBLIC_WITHOUT_TOKEN
 *    says the network is trusted (see {@link exposureProblem}).
 * 2. Host header: loopback names, the HOST the server is bound to (unless a wildcard) and
 *    PUBLIC_HOSTS (`*` = any) are answered; any other name is 403 — a DNS-rebinding page reaches
 *    the server under its own name.
 * 3. State-changing requests (anything but GET/HEAD/OPTIONS) from a browser must be same-origin:
 *    refused when the `Origin` (or, without it, `Sec-Fetch-Site`) names another site, unless the
 *    request carries CLIENT_HEADER (src/domain), which a cross-site page cannot send without a CORS
 *    preflight that this server never grants. Clients that are not browsers send neither header.
 * 4. Rate limits per client address: RATE_LIMIT_PER_SECOND over everything but health, and
 *    UPLOAD_RATE_LIMIT_PER_MINUTE over uploads and previews (their route config, {@link uploadRateLimit}).
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config, ConfigStore } from '../config/index.js';
import { CLIENT_HEADER } from '../domain/index.js';
import { AppError } from '../errors.js';
import { isLoopbackHost } from './auth.js';

const CLIENT_HEADER_NAME = CLIENT_HEADER.toLowerCase();

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Why the API must not start with this configuration, or undefined when it may. */
export function exposureProblem(config: Pick<Config, 'HOST' | 'API_TOKEN' | 'ALLOW_PUBLIC_WITHOUT_TOKEN'>): string | undefined {
  if (isLoopbackHost(config.HOST) || config.API_TOKEN || config.ALLOW_PUBLIC_WITHOUT_TOKEN) return undefined;
  return (
    `HOST=${config.HOST} makes the API reachable from other machines, but API_TOKEN is not set: every upload and result would be open to the network. ` +
    'Set a token (e.g. API_TOKEN=$(openssl rand -hex 24)) and give it to the users, or listen on 127.0.0.1 only (HOST=127.0.0.1). ' +
    'On a network where everyone may see all data, ALLOW_PUBLIC_WITHOUT_TOKEN=true starts it without a token.'
  );
}

function hostName(header: string): { name: string; withPort: string } {
  const withPort = header.trim().toLowerCase();
  const name = withPort.startsWith('[') ? withPort.slice(0, withPort.indexOf(']') + 1) : withPort.replace(/:\d+$/, '');
  return { name, withPort };
}

function hostAllowed(header: string | undefined, config: Pick<Config, 'HOST' | 'PUBLIC_HOSTS'>): boolean {
  if (header === undefined) return true; // HTTP/1.0 clients; a browser always sends Host
  const { name, withPort } = hostName(header);
  if (isLoopbackHost(name)) return true;
  const bound = config.HOST.toLowerCase();
  if (!WILDCARDS.has(bound) && (name === bound || name === `[${bound}]`)) return true;
  const allowed = (config.PUBLIC_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return allowed.includes('*') || allowed.includes(name) || allowed.includes(withPort);
}

function isCrossSite(request: FastifyRequest): boolean {
  if (request.headers[CLIENT_HEADER_NAME] !== undefined) return false;
  const origin = request.headers.origin;
  if (origin !== undefined) {
    try {
      return new URL(origin).host.toLowerCase() !== (request.headers.host ?? '').toLowerCase();
    } catch {
      return true; // `Origin: null` (sandboxed frames, file:) or garbage
    }
  }
  const site = request.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

/** Host allowlist, same-origin rule and rate limits for every route (rules 2–4 above). */
export const exposurePlugin = fp(async (app: FastifyInstance, { config }: { config: ConfigStore }) => {
  app.addHook('onRequest', async (request) => {
    const c = config.current;
    if (!hostAllowed(request.headers.host, c)) {
      throw new AppError('FORBIDDEN', `不接受的主机名：${(request.headers.host ?? '').slice(0, 100)}（在 PUBLIC_HOSTS 中加入本服务对外的主机名）`);
    }
    if (!SAFE_METHODS.has(request.method) && isCrossSite(request)) {
      throw new AppError('FORBIDDEN', '拒绝跨站请求：修改数据的请求只接受来自本站页面或非浏览器客户端');
    }
  });

  // Without a global limit (0) the plugin still serves the upload routes' own limits.
  const c = config.current;
  await app.register(fastifyRateLimit, {
    global: c.RATE_LIMIT_PER_SECOND > 0,
    hook: 'onRequest',
    max: c.RATE_LIMIT_PER_SECOND || Number.MAX_SAFE_INTEGER,
    timeWindow: 1000,
    errorResponseBuilder: limited(c.RATE_LIMIT_PER_SECOND, 1000),
  });
});

/** The refusal of a rate limit (thrown by @fastify/rate-limit, answered by the error handler). */
function limited(max: number, windowMs: number) {
  return () => new AppError('RATE_LIMITED', `请求过于频繁，请稍后再试（每 ${windowMs / 1000} 秒最多 ${max} 次）`, { limit: max, windowMs });
}

/** Route config of uploads and previews: UPLOAD_RATE_LIMIT_PER_MINUTE per client (0 = only the global limit). */
export function uploadRateLimit(config: Config) {
  const max = config.UPLOAD_RATE_LIMIT_PER_MINUTE;
  return max > 0 ? { rateLimit: { max, timeWindow: 60_000, errorResponseBuilder: limited(max, 60_000) } } : {};
}
