/**
 * SQLite adapter (better-sqlite3, synchronous).
 *
 * Rules:
 * - One write lock per SQLite file per process ({@link sqliteWriteLock}): better-sqlite3 waits for a
 *   busy database synchronously, so two connections of one process to the same file must never
 *   contend inside SQLite — the waiting one would block the event loop the other needs. Other
 *   processes are handled by SQLite's own lock and busy_timeout.
 * - Write transactions are BEGIN IMMEDIATE: the write lock is taken up front, so a transaction never
 *   fails half-way on a lock upgrade; that lock is also what fences attempts (no FOR UPDATE).
 * - Timestamps are ISO-8601 UTC text (sorts and compares like the instant).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { ofLiveAttempt, type AttemptCheck, type ResultTable } from '../attempt-fence.js';
import type { EncodedBatch, WrittenCounts } from '../row-encoding.js';
import type { StorageSchema } from '../schema.js';
import type { DialectAdapter, ResultRowSelection } from './adapter.js';
import { openSqliteFile } from './sqlite-open.js';
import { encodeRowTexts, SqliteRowWriter, type RowTexts } from './sqlite-rows.js';
import { SqliteWriterThread } from './sqlite-writer.js';

/** Serializes async sections (a promise chain). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(section);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** Distinct query texts kept prepared (queries with variable IN lists would grow it unbounded). */
const MAX_CACHED_STATEMENTS = 500;

const sqliteWriteLocks = new Map<string, Mutex>();

function sqliteWriteLock(file: string): Mutex {
  if (file === ':memory:') return new Mutex();
  let lock = sqliteWriteLocks.get(file);
  if (!lock) {
    lock = new Mutex();
    sqliteWriteLocks.set(file, lock);
  }
  return lock;
}

export interface SqliteOptions {
  busyTimeoutMs: number;
  /** Write result rows from a thread of their own (file databases only). */
  writerThread: boolean;
  rowsPerStatement: number;
}

export class SqliteAdapter implements DialectAdapter {
  readonly dialect = 'sqlite';
  readonly locksRows = false;
  readonly kysely: Kysely<StorageSchema>;
  readonly #sqlite: BetterSqlite3.Database;
  readonly #lock: Mutex;
  readonly #write: (rows: RowTexts, check: AttemptCheck) => Promise<WrittenCounts>;
  readonly #thread: SqliteWriterThread | undefined;
  #closing: Promise<void> | undefined;

  constructor(file: string, options: SqliteOptions) {
    this.#sqlite = openSqliteFile(file, options.busyTimeoutMs);
    this.#lock = sqliteWriteLock(file);
    // Batches written on this connection: an in-memory database exists only here, and a file
    // database's writer thread is not ready yet. Yield first so a loop of batches still gives
    // timers (lock renewal, progress) a turn.
    let writer: SqliteRowWriter | undefined;
    const writeHere = async (rows: RowTexts, check: AttemptCheck) => {
      writer ??= new SqliteRowWriter(this.#sqlite, options.rowsPerStatement);
      await yieldToEventLoop();
      return writer.write(rows, check);
    };
    if (options.writerThread && file !== ':memory:') {
      // The thread runs the same attempt check (requireCurrentAttempt) on its own connection.
      const thread = new SqliteWriterThread({ file, busyTimeoutMs: options.busyTimeoutMs, rowsPerStatement: options.rowsPerStatement });
      this.#thread = thread;
      this.#write = (rows, check) => (thread.isReady() ? thread.write(rows) : writeHere(rows, check));
    } else {
      this.#write = writeHere;
    }
    // Kysely prepares every query anew; preparing costs as much as running a point query. Kysely
    // runs one query at a time on this connection, so a cached statement is never in use twice.
    const statements = new Map<string, BetterSqlite3.Statement>();
    const sqlite = this.#sqlite;
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
    this.kysely = new Kysely<StorageSchema>({ dialect: new SqliteDialect({ database }) });
  }

  time(date: Date): string {
    return date.toISOString();
  }

  transaction<T>(work: (db: Kysely<StorageSchema>) => Promise<T>): Promise<T> {
    return this.#lock.run(() =>
      this.kysely.connection().execute(async (db) => {
        await sql`begin immediate`.execute(db);
        try {
          const result = await work(db);
          await sql`commit`.execute(db);
          return result;
        } catch (err) {
          await sql`rollback`.execute(db).catch(() => undefined);
          throw err;
        }
      }),
    );
  }

  /** Kysely's SQLite migrator takes no lock; an IMMEDIATE transaction is one (and makes the DDL atomic). */
  migrate(run: (db: Kysely<StorageSchema>, schema: undefined) => Promise<string[]>): Promise<string[]> {
    return this.transaction((db) => run(db, undefined));
  }

  /** Under the per-file lock, so the writer thread's connection never waits for this one inside SQLite. */
  writeResults(batch: EncodedBatch, check: AttemptCheck): Promise<WrittenCounts> {
    // Encoded before taking the lock: the lock is held only while the rows are written.
    const rows = encodeRowTexts(batch);
    return this.#lock.run(() => this.#write(rows, check));
  }

  async deleteResultChunk(table: ResultTable, fileKey: number, which: ResultRowSelection, limit: number): Promise<number> {
    const result = await this.transaction((db) => {
      let keys = db.selectFrom(table).select(['sheet_index', 'row_number']).where('file_key', '=', fileKey);
      if (which === 'stale') keys = keys.where((eb) => eb.not(ofLiveAttempt(table)));
      return db
        .deleteFrom(table)
        .where('file_key', '=', fileKey)
        .where((eb) => eb(eb.refTuple('sheet_index', 'row_number'), 'in', keys.limit(limit).$asTuple('sheet_index', 'row_number')))
        .executeTakeFirst();
    });
    return Number(result.numDeletedRows);
  }

  async prepareWrites(): Promise<void> {
    await this.#thread?.whenReady();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#lock.run(() => this.#thread?.close());
      await this.kysely.destroy();
    })();
    return this.#closing;
  }
}
