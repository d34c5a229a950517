import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export const TOKEN_COOKIE = 'dcs_token';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** The token a request presents: bearer header, `?token=` (EventSource, links) or the dashboard cookie. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const query = (request.query as Record<string, unknown> | undefined)?.token;
  if (typeof query === 'string' && query) return query;
  return cookieToken(request.headers.cookie);
}

/** A preHandler that requires API_TOKEN when one is configured (read per request: hot reload). */
export function requireToken(expected: () => string | undefined) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = expected();
    if (!token) return;
    const given = presentedToken(request);
    if (!given || !safeEqual(given, token)) throw new AppError('UNAUTHORIZED', '需要有效的访问令牌（Authorization: Bearer <token>）');
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}
