import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/** Opens a better-sqlite3 connection with the product's pragmas. */
export function openSqliteFile(file: string, busyTimeoutMs: number): BetterSqlite3.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  // busy_timeout first: switching to WAL needs a lock another starting process may hold.
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
  // WAL: readers never block the single writer, and several worker processes can share the file.
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode (only a power loss may lose the last commits).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}
