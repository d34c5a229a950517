import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export const TOKEN_COOKIE = 'dcs_token';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route also accepts the token as `?token=` (EventSource, download links). */
    tokenInQuery?: boolean;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return ''; // malformed percent-encoding: presented, but matches no token (401, not 500)
    }
  }
  return undefined;
}

/** Where a request may carry the token besides the `Authorization: Bearer` header. */
export interface TokenSources {
  /** `?token=`: for EventSource and download links, which cannot send headers. */
  query?: boolean;
  /** The HttpOnly dashboard cookie (its path is the dashboard's, so browsers send it nowhere else). */
  cookie?: boolean;
}

/** Route config flag: this route also accepts `?token=` (see {@link TokenSources.query}). */
export const TOKEN_IN_QUERY = { tokenInQuery: true } as const;

function routeAllowsQueryToken(request: FastifyRequest): boolean {
  return request.routeOptions.config?.tokenInQuery === true;
}

/**
 * The token a request presents: the bearer header, else (where allowed) `?token=` or the dashboard
 * cookie. Tokens in URLs end up in browser history and proxy logs, so only the routes that cannot
 * do without them accept them.
 */
export function presentedToken(request: FastifyRequest, sources: TokenSources = {}): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  if (sources.query) {
    const query = (request.query as Record<string, unknown> | undefined)?.token;
    if (typeof query === 'string' && query) return query;
  }
  return sources.cookie ? cookieToken(request.headers.cookie) : undefined;
}

/**
 * A hook that requires API_TOKEN when one is configured (read per request: hot reload). `?token=`
 * is accepted on routes whose config has {@link TOKEN_IN_QUERY}, or everywhere when
 * `sources.query` is set (the dashboard).
 */
export function requireToken(expected: () => string | undefined, sources: TokenSources = {}) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = expected();
    if (!token) return;
    const given = presentedToken(request, { ...sources, query: sources.query || routeAllowsQueryToken(request) });
    if (!given || !safeEqual(given, token)) throw new AppError('UNAUTHORIZED', '需要有效的访问令牌（Authorization: Bearer <token>）');
  };
}

/** A loopback name or address (as in HOST, or a Host header without its port). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
