import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool as createMysqlPool, type Pool as MysqlPool } from 'mysql2';
import pg from 'pg';
import { AppError } from '../errors.js';
import type { DialectName } from './model.js';
import type { StorageSchema } from './schema.js';

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

/** An open connection (pool) with the driver handles the fast paths need. */
export type OpenedConnection =
  | { dialect: 'sqlite'; kysely: Kysely<StorageSchema>; sqlite: BetterSqlite3.Database; file: string }
  | { dialect: 'postgres'; kysely: Kysely<StorageSchema>; pool: pg.Pool }
  | { dialect: 'mysql'; kysely: Kysely<StorageSchema>; pool: MysqlPool };

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

/** Opens the dialect's driver and wraps it in Kysely. Connections are made lazily (SQLite: now). */
export function openConnection(target: DatabaseTarget, options: ConnectOptions): OpenedConnection {
  switch (target.dialect) {
    case 'sqlite':
      return openSqlite(target.file, options.sqliteBusyTimeoutMs);
    case 'postgres':
      return openPostgres(target.url, options);
    case 'mysql':
      return openMysql(target.url, options);
  }
}

/** Distinct query texts kept prepared (queries with variable IN lists would grow it unbounded). */
const MAX_CACHED_STATEMENTS = 500;

function openSqlite(file: string, busyTimeoutMs: number): OpenedConnection {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  // busy_timeout first: switching to WAL needs a lock another starting process may hold.
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
  // WAL: readers never block the single writer, and several worker processes can share the file.
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode (only a power loss may lose the last commits).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Kysely prepares every query anew; preparing costs as much as running a point query. Kysely
  // runs one query at a time on this connection, so a cached statement is never in use twice.
  const statements = new Map<string, BetterSqlite3.Statement>();
  const database = {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      let statement = statements.get(text);
      if (!statement) {
        if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
        statement = sqlite.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
  };
  const kysely = new Kysely<StorageSchema>({ dialect: new SqliteDialect({ database }) });
  return { dialect: 'sqlite', kysely, sqlite, file };
}

function openPostgres(url: string, options: ConnectOptions): OpenedConnection {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // A client whose server connection dies (restart, pg_terminate_backend) emits 'error'. An idle
  // one is reported on the pool, which has already dropped it and opens a fresh one on the next
  // checkout; a checked-out one also fails its running query (that is how the caller learns of
  // it) and is discarded on release. Without these listeners the events would crash the process.
  pool.on('error', (err) => options.onIdleConnectionLost?.(err));
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const kysely = new Kysely<StorageSchema>({ dialect: new PostgresDialect({ pool }) });
  return { dialect: 'postgres', kysely, pool };
}

function openMysql(url: string, options: ConnectOptions): OpenedConnection {
  const pool = createMysqlPool({
    uri: url,
    connectionLimit: options.poolSize,
    connectTimeout: options.connectTimeoutMs,
    charset: 'UTF8MB4_BIN',
    // DATETIME has no zone: write and read every timestamp as UTC.
    timezone: 'Z',
    supportBigNumbers: true,
    enableKeepAlive: true,
    // Affected rows = rows really changed, so a skipped duplicate (ON DUPLICATE KEY UPDATE id = id)
    // is not counted as stored.
    flags: ['-FOUND_ROWS'],
    // Batch inserts are prepared statements; a small per-connection cache (closing evicted ones)
    // keeps the server's global max_prepared_stmt_count far away.
    maxPreparedStatements: 64,
  });
  // READ COMMITTED: no gap locks, so one job's inserts never wait for another job's deletes.
  // Set on every new connection, whether Kysely or the batch writer takes it first.
  pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', () => undefined);
  });
  const kysely = new Kysely<StorageSchema>({ dialect: new MysqlDialect({ pool }) });
  return { dialect: 'mysql', kysely, pool };
}

/** The dialect a URL selects, without connecting. */
export function dialectOfUrl(url: string): DialectName {
  return parseDatabaseUrl(url).dialect;
}
