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
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { fenceQuery, ofLiveAttempt, type AttemptCheck, type AttemptOwner, type AttemptRow } from '../attempt-ledger.js';
import { reasonAt, type EncodedBatch, type WrittenCounts } from '../row-encoding.js';
import type { StorageSchema } from '../schema.js';
import type { DialectAdapter, ResultRowSelection, ResultTable } from './adapter.js';

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

/** Rows per multi-row INSERT on SQLite (5–7 parameters each, far below SQLite's 32,766). */
const SQLITE_ROWS_PER_STATEMENT = 50;

type Statements = { one: BetterSqlite3.Statement; group: BetterSqlite3.Statement };

/**
 * The result-row bulk path: cached prepared statements inside one IMMEDIATE transaction that first
 * runs the attempt check. Full groups of rows go through one multi-row INSERT, the rest row by row.
 */
export class SqliteRowWriter {
  private readonly clean: Statements;
  private readonly exceptions: Statements;
  private readonly fence: BetterSqlite3.Statement<[string], AttemptRow>;
  private readonly transaction: (batch: EncodedBatch, check: AttemptCheck) => WrittenCounts;

  constructor(sqlite: BetterSqlite3.Database) {
    const prepare = (head: string, placeholders: string): Statements => ({
      one: sqlite.prepare(`${head} ${placeholders} on conflict do nothing`),
      group: sqlite.prepare(`${head} ${Array<string>(SQLITE_ROWS_PER_STATEMENT).fill(placeholders).join(',')} on conflict do nothing`),
    });
    this.clean = prepare('insert into clean_data (file_key, attempt, sheet_index, "row_number", data) values', '(?, ?, ?, ?, ?)');
    this.exceptions = prepare('insert into error_logs (file_key, attempt, sheet_index, "row_number", data, errors, message) values', '(?, ?, ?, ?, ?, ?, ?)');
    this.fence = sqlite.prepare(fenceQuery('?', false));
    const run = sqlite.transaction((batch: EncodedBatch, check: AttemptCheck) => this.insert(batch, check(this.fence.get(batch.jobId))));
    this.transaction = (batch, check) => run.immediate(batch, check);
  }

  /** Checks the attempt and stores the batch, in one IMMEDIATE transaction. */
  write(batch: EncodedBatch, check: AttemptCheck): WrittenCounts {
    return this.transaction(batch, check);
  }

  private insert(batch: EncodedBatch, { fileKey, attempt }: AttemptOwner): WrittenCounts {
    const cleanRows = insertGrouped(this.clean, batch.clean.length, (i, params) => {
      const r = batch.clean[i];
      params.push(fileKey, attempt, r.sheetIndex, r.rowNumber, JSON.stringify(r.values));
    });
    const exceptionRows = insertGrouped(this.exceptions, batch.exceptions.length, (i, params) => {
      const r = batch.exceptions[i];
      params.push(fileKey, attempt, r.sheetIndex, r.rowNumber, JSON.stringify(r.values), JSON.stringify(r.errors), reasonAt(batch, i));
    });
    return { cleanRows, exceptionRows };
  }
}

function insertGrouped(statements: Statements, count: number, addRow: (index: number, params: (string | number)[]) => void): number {
  let stored = 0;
  let i = 0;
  for (; i + SQLITE_ROWS_PER_STATEMENT <= count; i += SQLITE_ROWS_PER_STATEMENT) {
    const params: (string | number)[] = [];
    for (let j = i; j < i + SQLITE_ROWS_PER_STATEMENT; j++) addRow(j, params);
    stored += statements.group.run(params).changes;
  }
  for (; i < count; i++) {
    const params: (string | number)[] = [];
    addRow(i, params);
    stored += statements.one.run(params).changes;
  }
  return stored;
}

export class SqliteAdapter implements DialectAdapter {
  readonly dialect = 'sqlite';
  readonly locksRows = false;
  readonly kysely: Kysely<StorageSchema>;
  readonly #sqlite: BetterSqlite3.Database;
  readonly #lock: Mutex;
  #writer: SqliteRowWriter | undefined;
  #closing: Promise<void> | undefined;

  constructor(file: string, options: { busyTimeoutMs: number }) {
    this.#sqlite = openSqliteFile(file, options.busyTimeoutMs);
    this.#lock = sqliteWriteLock(file);
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

  async writeResults(batch: EncodedBatch, check: AttemptCheck): Promise<WrittenCounts> {
    const writer = (this.#writer ??= new SqliteRowWriter(this.#sqlite));
    // better-sqlite3 is synchronous: without this, a loop of insertBatch calls would never give
    // timers (BullMQ lock renewal, progress) a turn.
    await yieldToEventLoop();
    return this.#lock.run(() => writer.write(batch, check));
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

  close(): Promise<void> {
    this.#closing ??= this.kysely.destroy();
    return this.#closing;
  }
}
