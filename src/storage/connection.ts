import { resolve } from 'node:path';
import { AppError } from '../errors.js';
import type { DialectName } from './model.js';

/** Default time SQLite waits for another process's write transaction before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 15_000;

/** How a `DATABASE_URL` is reached. */
export type DatabaseTarget =
  { dialect: 'sqlite'; /** File path, or ':memory:'. */ file: string } | { dialect: 'postgres'; url: string } | { dialect: 'mysql'; url: string };

/**
 * Reads a `DATABASE_URL`: `sqlite:<path>` (`sqlite::memory:`, `sqlite:./data/db.sqlite`,
 * `sqlite:///abs/path`), `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`.
 * Throws AppError INVALID_REQUEST for anything else.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '') throw new AppError('INVALID_REQUEST', 'DATABASE_URL: sqlite: needs a file path or :memory:');
    return { dialect: 'sqlite', file: file === ':memory:' ? file : resolve(file) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', url };
  if (/^(mysql|mariadb):\/\//.test(url)) return { dialect: 'mysql', url: url.replace(/^mariadb:/, 'mysql:') };
  throw new AppError('INVALID_REQUEST', 'DATABASE_URL must start with sqlite:, postgres://, postgresql://, mysql:// or mariadb://', {
    scheme: url.split(':', 1)[0],
  });
}

/** Pool settings shared by the server dialects. */
export interface ConnectOptions {
  poolSize: number;
  /** Shown in `pg_stat_activity.application_name`. */
  applicationName: string;
  /** How long to wait for a connection before failing (the error keeps the driver's code). */
  connectTimeoutMs: number;
  /** SQLite busy_timeout. */
  sqliteBusyTimeoutMs: number;
  /** Told when an idle pooled connection died (the pool has dropped it already). */
  onIdleConnectionLost?: (err: Error & { code?: string }) => void;
}

/** The dialect a URL selects, without connecting. */
export function dialectOfUrl(url: string): DialectName {
  return parseDatabaseUrl(url).dialect;
}
