/**
 * PostgreSQL adapter (pg pool).
 *
 * Rules:
 * - Fenced writes lock the record with SELECT … FOR UPDATE inside their transaction.
 * - Result batches go through COPY … FROM STDIN (text format) on a pool client of their own (COPY
 *   needs the driver's client, which Kysely does not expose); a batch that meets rows already
 *   stored (repeated after a lost commit acknowledgement) falls back to INSERT … ON CONFLICT DO NOTHING.
 * - Batches commit with synchronous_commit = off: a server crash can lose the last few batches,
 *   never half of one; completeAttempt commits durably after verifying the row counts, so such a
 *   loss fails the attempt (then retried) instead of going unnoticed.
 * - Migrations: the bookkeeping tables go into the schema the search_path selects (otherwise
 *   Kysely would find another schema's bookkeeping table and skip the migrations); Kysely's
 *   PostgreSQL migrator takes an advisory lock.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { fenceQuery, ofLiveAttempt, type AttemptCheck, type AttemptOwner, type AttemptRow, type ResultTable } from '../attempt-fence.js';
import type { ConnectOptions } from '../connection.js';
import { cleanLine, exceptionLine, linePieces, reasonAt, type EncodedBatch, type WrittenCounts } from '../row-encoding.js';
import type { StorageSchema } from '../schema.js';
import type { DialectAdapter, ResultRowSelection } from './adapter.js';

/** SQLSTATE unique_violation. */
const PG_UNIQUE_VIOLATION = '23505';

/**
 * Rows per piece of COPY input (measured: 100-row pieces beat one 1000-row piece — the server
 * starts on the first rows while the client encodes the next).
 */
const COPY_PIECE_ROWS = 100;

/** COPY … FROM STDIN of `count` lines, streamed piece by piece (backpressure from the socket). */
async function copyRows(client: pg.PoolClient, statement: string, count: number, line: (index: number) => string): Promise<number> {
  if (count === 0) return 0;
  const copy = client.query(copyFrom(statement));
  await pipeline(Readable.from(linePieces(count, COPY_PIECE_ROWS, line)), copy);
  return copy.rowCount;
}

/** COPY of both tables on the caller's client, inside its transaction. */
async function copyBatch(client: pg.PoolClient, batch: EncodedBatch, owner: AttemptOwner): Promise<WrittenCounts> {
  const cleanRows = await copyRows(client, 'copy clean_data (file_key, attempt, sheet_index, "row_number", data) from stdin', batch.clean.length, (i) =>
    cleanLine(owner, batch.clean[i]),
  );
  const exceptionRows = await copyRows(
    client,
    'copy error_logs (file_key, attempt, sheet_index, "row_number", data, errors, message) from stdin',
    batch.exceptions.length,
    (i) => exceptionLine(owner, batch, i),
  );
  return { cleanRows, exceptionRows };
}

/** INSERT … SELECT FROM unnest(arrays) … ON CONFLICT DO NOTHING: skips rows already stored. */
async function insertSkippingDuplicates(client: pg.PoolClient, batch: EncodedBatch, { fileKey, attempt }: AttemptOwner): Promise<WrittenCounts> {
  const clean = await client.query(
    `insert into clean_data (file_key, attempt, sheet_index, "row_number", data)
     select $1, $2, u.s, u.r, u.d from unnest($3::int[], $4::int[], $5::text[]) as u(s, r, d)
     on conflict do nothing`,
    [fileKey, attempt, batch.clean.map((r) => r.sheetIndex), batch.clean.map((r) => r.rowNumber), batch.clean.map((r) => JSON.stringify(r.values))],
  );
  const exceptions = await client.query(
    `insert into error_logs (file_key, attempt, sheet_index, "row_number", data, errors, message)
     select $1, $2, u.s, u.r, u.d, u.e, u.m from unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[]) as u(s, r, d, e, m)
     on conflict do nothing`,
    [
      fileKey,
      attempt,
      batch.exceptions.map((r) => r.sheetIndex),
      batch.exceptions.map((r) => r.rowNumber),
      batch.exceptions.map((r) => JSON.stringify(r.values)),
      batch.exceptions.map((r) => JSON.stringify(r.errors)),
      batch.exceptions.map((_, i) => reasonAt(batch, i)),
    ],
  );
  return { cleanRows: clean.rowCount ?? 0, exceptionRows: exceptions.rowCount ?? 0 };
}

export class PostgresAdapter implements DialectAdapter {
  readonly dialect = 'postgres';
  readonly locksRows = true;
  readonly kysely: Kysely<StorageSchema>;
  readonly #pool: pg.Pool;
  #closing: Promise<void> | undefined;

  constructor(url: string, options: ConnectOptions) {
    this.#pool = new pg.Pool({
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
    this.#pool.on('error', (err) => options.onIdleConnectionLost?.(err));
    this.#pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    this.kysely = new Kysely<StorageSchema>({ dialect: new PostgresDialect({ pool: this.#pool }) });
  }

  time(date: Date): Date {
    return date;
  }

  transaction<T>(work: (db: Kysely<StorageSchema>) => Promise<T>): Promise<T> {
    return this.kysely.transaction().execute(work);
  }

  async migrate(run: (db: Kysely<StorageSchema>, schema: string | undefined) => Promise<string[]>): Promise<string[]> {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(this.kysely);
    return run(this.kysely, rows[0]?.schema ?? undefined);
  }

  async writeResults(batch: EncodedBatch, check: AttemptCheck): Promise<WrittenCounts> {
    try {
      return await this.#fenced(batch, check, copyBatch);
    } catch (err) {
      if ((err as { code?: unknown }).code !== PG_UNIQUE_VIOLATION) throw err;
      // Some rows are stored already (a batch repeated after a lost commit acknowledgement):
      // store the others with the path that skips duplicates.
      return this.#fenced(batch, check, insertSkippingDuplicates);
    }
  }

  /** BEGIN, lock and check the record, `write`, COMMIT — on a pool client of its own. */
  async #fenced(
    batch: EncodedBatch,
    check: AttemptCheck,
    write: (client: pg.PoolClient, batch: EncodedBatch, owner: AttemptOwner) => Promise<WrittenCounts>,
  ): Promise<WrittenCounts> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin; set local synchronous_commit = off');
      try {
        const { rows } = await client.query<AttemptRow>(fenceQuery('$1', true), [batch.jobId]);
        const counts = await write(client, batch, check(rows[0]));
        await client.query('commit');
        return counts;
      } catch (err) {
        await client.query('rollback').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw err;
      }
    } finally {
      // A client whose rollback failed is in an unknown state: the pool discards it.
      client.release(broken);
    }
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
