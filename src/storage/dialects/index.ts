import type { ConnectOptions, DatabaseTarget } from '../connection.js';
import type { StorageLogger } from '../model.js';
import type { DialectAdapter } from './adapter.js';
import { MysqlAdapter } from './mysql.js';
import { PostgresAdapter } from './postgres.js';
import { SqliteAdapter } from './sqlite.js';

export type { DialectAdapter } from './adapter.js';

/** Settings of every adapter. */
export interface AdapterOptions extends ConnectOptions {
  /** Most rows per INSERT statement where the bulk path inserts rows (MySQL). */
  batchSize: number;
  /** SQLite: write result rows from a thread of their own. */
  sqliteWriterThread: boolean;
  /** SQLite: rows per multi-row INSERT. */
  sqliteRowsPerStatement: number;
  /** MySQL: result rows through LOAD DATA LOCAL INFILE (falls back to INSERTs when refused). */
  mysqlLocalInfile: boolean;
  /** MySQL: extra mysql2 client flags (a test hook). */
  mysqlClientFlags: readonly string[];
  /** Told about fallbacks (MySQL LOAD DATA refused). */
  logger: StorageLogger | undefined;
}

/** The adapter of the engine a URL names. Server connections are made on first use (SQLite: now). */
export function openAdapter(target: DatabaseTarget, options: AdapterOptions): DialectAdapter {
  switch (target.dialect) {
    case 'sqlite':
      return new SqliteAdapter(target.file, {
        busyTimeoutMs: options.sqliteBusyTimeoutMs,
        writerThread: options.sqliteWriterThread,
        rowsPerStatement: options.sqliteRowsPerStatement,
      });
    case 'postgres':
      return new PostgresAdapter(target.url, options);
    case 'mysql':
      return new MysqlAdapter(target.url, { ...options, localInfile: options.mysqlLocalInfile, clientFlags: options.mysqlClientFlags });
  }
}
