import type { ConnectOptions, DatabaseTarget } from '../connection.js';
import type { DialectAdapter } from './adapter.js';
import { MysqlAdapter } from './mysql.js';
import { PostgresAdapter } from './postgres.js';
import { SqliteAdapter } from './sqlite.js';

export type { DialectAdapter, ResultRowSelection, ResultTable } from './adapter.js';

/** Settings of every adapter. */
export interface AdapterOptions extends ConnectOptions {
  /** Most rows per INSERT statement where the bulk path inserts rows (MySQL). */
  batchSize: number;
}

/** The adapter of the engine a URL names. Server connections are made on first use (SQLite: now). */
export function openAdapter(target: DatabaseTarget, options: AdapterOptions): DialectAdapter {
  switch (target.dialect) {
    case 'sqlite':
      return new SqliteAdapter(target.file, { busyTimeoutMs: options.sqliteBusyTimeoutMs });
    case 'postgres':
      return new PostgresAdapter(target.url, options);
    case 'mysql':
      return new MysqlAdapter(target.url, options);
  }
}
