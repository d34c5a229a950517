/**
 * MySQL/MariaDB adapter (mysql2 pool).
 *
 * Rules:
 * - Every connection runs READ COMMITTED (no gap locks, so one job's inserts never wait for another
 *   job's deletes), utf8mb4 with binary collation, timestamps as UTC DATETIME(3).
 * - Fenced writes lock the record with SELECT … FOR UPDATE inside their transaction; result batches
 *   run on a pool connection of their own (prepared statements need the driver's connection).
 * - A row already stored (same file, sheet, row) is skipped, never stored twice.
 * - Result batches use LOAD DATA LOCAL INFILE fed from a stream (mysql2's infileStreamFactory; the
 *   rows never touch a file), the engine's bulk path. When the server refuses it (local_infile = OFF,
 *   or the client capability is off) the refused statement is followed, in the same transaction, by
 *   multi-row INSERTs, and every later batch goes straight to the INSERTs; the reason is logged once.
 */
import { Readable } from 'node:stream';
import { Kysely, MysqlDialect, sql } from 'kysely';
import { createPool, type Pool } from 'mysql2';
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { fenceQuery, ofLiveAttempt, type AttemptCheck, type AttemptOwner, type AttemptRow, type ResultTable } from '../attempt-fence.js';
import type { ConnectOptions } from '../connection.js';
import type { StorageLogger } from '../model.js';
import { cleanLine, exceptionLine, linePieces, reasonAt, type EncodedBatch, type WrittenCounts } from '../row-encoding.js';
import type { StorageSchema } from '../schema.js';
import type { DialectAdapter, ResultRowSelection } from './adapter.js';

/** Most rows per prepared statement: MySQL allows 65,535 placeholders. */
const MYSQL_MAX_ROWS_PER_STATEMENT = 9000;

/** Bytes one MySQL statement execution may send: max_allowed_packet minus headroom. */
function packetBudget(maxAllowedPacket: number): number {
  return Math.max(64 * 1024, maxAllowedPacket - 64 * 1024);
}

type MysqlValue = string | number;

/**
 * Multi-row INSERT … VALUES (…),(…) as server-side prepared statements (binary protocol: values
 * travel as raw bytes, nothing is escaped). At most `chunkRows` rows per statement, fewer when the
 * values would exceed max_allowed_packet; a single row above the limit fails with the server's
 * ER_NET_PACKET_TOO_LARGE.
 */
async function insertChunks(
  connection: PoolConnection,
  head: string,
  placeholders: string,
  rows: readonly MysqlValue[][],
  sizeOf: (row: readonly MysqlValue[]) => number,
  { chunkRows, budget }: { chunkRows: number; budget: number },
): Promise<number> {
  // A duplicate key is skipped, as ON CONFLICT DO NOTHING does elsewhere (the pool turns FOUND_ROWS
  // off, so a skipped row does not count as affected).
  const tail = ' on duplicate key update file_key = file_key';
  let stored = 0;
  let start = 0;
  while (start < rows.length) {
    let end = start;
    let bytes = 0;
    while (end < rows.length && end - start < chunkRows) {
      const size = sizeOf(rows[end]);
      if (end > start && bytes + size > budget) break;
      bytes += size;
      end++;
    }
    const params: MysqlValue[] = [];
    for (let i = start; i < end; i++) params.push(...rows[i]);
    const statement =
      head +
      Array<string>(end - start)
        .fill(placeholders)
        .join(',') +
      tail;
    const [result] = await connection.execute<ResultSetHeader>(statement, params);
    stored += result.affectedRows;
    start = end;
  }
  return stored;
}

async function insertBatch(
  connection: PoolConnection,
  batch: EncodedBatch,
  { fileKey, attempt }: AttemptOwner,
  chunkRows: number,
  maxAllowedPacket: number,
): Promise<WrittenCounts> {
  const fixed = 64;
  const options = { chunkRows: Math.min(chunkRows, MYSQL_MAX_ROWS_PER_STATEMENT), budget: packetBudget(maxAllowedPacket) };
  const cleanRows = await insertChunks(
    connection,
    'insert into clean_data (file_key, attempt, sheet_index, `row_number`, data) values ',
    '(?, ?, ?, ?, ?)',
    batch.clean.map((r) => [fileKey, attempt, r.sheetIndex, r.rowNumber, JSON.stringify(r.values)]),
    (row) => fixed + Buffer.byteLength(row[4] as string),
    options,
  );
  const exceptionRows = await insertChunks(
    connection,
    'insert into error_logs (file_key, attempt, sheet_index, `row_number`, data, errors, message) values ',
    '(?, ?, ?, ?, ?, ?, ?)',
    batch.exceptions.map((r, i) => [fileKey, attempt, r.sheetIndex, r.rowNumber, JSON.stringify(r.values), JSON.stringify(r.errors), reasonAt(batch, i)]),
    (row) => fixed + Buffer.byteLength(row[4] as string) + Buffer.byteLength(row[5] as string) + Buffer.byteLength(row[6] as string),
    options,
  );
  return { cleanRows, exceptionRows };
}

/** Rows per piece of LOAD DATA input streamed to the server. */
const LOAD_PIECE_ROWS = 200;

/** Errors by which the server (or mysql2) refuses LOAD DATA LOCAL INFILE. */
const LOCAL_INFILE_REFUSED = new Set([
  1148, // ER_NOT_ALLOWED_COMMAND: local_infile = OFF, or the client did not offer LOCAL_FILES (MariaDB, MySQL 5.7)
  2068, // CR_LOAD_DATA_LOCAL_INFILE_REJECTED (client side)
  3948, // ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8)
  4166, // ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB 10.5+)
]);

function isLocalInfileRefused(err: unknown): boolean {
  return LOCAL_INFILE_REFUSED.has((err as { errno?: number }).errno ?? -1);
}

/**
 * Most bytes per chunk of LOAD DATA input: mysql2 sends each chunk as one protocol packet, which the
 * server refuses above max_allowed_packet (a 10,000-column row is ~140 KB; a piece of such rows, MBs).
 */
const MAX_CHUNK_BYTES = 1024 * 1024;

function* bufferPieces(pieces: Iterable<string>): Generator<Buffer> {
  for (const piece of pieces) {
    const bytes = Buffer.from(piece);
    for (let start = 0; start < bytes.length; start += MAX_CHUNK_BYTES) yield bytes.subarray(start, start + MAX_CHUNK_BYTES);
  }
}

/** LOAD DATA LOCAL INFILE of `count` lines from a stream; returns the rows stored (duplicates are skipped: IGNORE). */
async function loadRows(connection: PoolConnection, table: string, columns: string, count: number, line: (index: number) => string): Promise<number> {
  if (count === 0) return 0;
  const [result] = await connection.query<ResultSetHeader>({
    sql:
      `load data local infile 'stream' ignore into table ${table} character set utf8mb4 ` +
      `fields terminated by '\\t' escaped by '\\\\' lines terminated by '\\n' (${columns})`,
    // mysql2 frames each chunk as it comes and needs Buffers.
    infileStreamFactory: () => Readable.from(bufferPieces(linePieces(count, LOAD_PIECE_ROWS, line))),
  });
  return result.affectedRows;
}

async function loadBatch(connection: PoolConnection, batch: EncodedBatch, owner: AttemptOwner): Promise<WrittenCounts> {
  const cleanRows = await loadRows(connection, 'clean_data', 'file_key, attempt, sheet_index, `row_number`, data', batch.clean.length, (i) =>
    cleanLine(owner, batch.clean[i]),
  );
  const exceptionRows = await loadRows(
    connection,
    'error_logs',
    'file_key, attempt, sheet_index, `row_number`, data, errors, message',
    batch.exceptions.length,
    (i) => exceptionLine(owner, batch, i),
  );
  return { cleanRows, exceptionRows };
}

export interface MysqlOptions extends ConnectOptions {
  batchSize: number;
  /** Use LOAD DATA LOCAL INFILE for result rows (else multi-row INSERTs). */
  localInfile: boolean;
  /** Extra mysql2 client flags (tests: '-LOCAL_FILES' makes the server refuse LOAD DATA LOCAL). */
  clientFlags: readonly string[];
  logger: StorageLogger | undefined;
}

export class MysqlAdapter implements DialectAdapter {
  readonly dialect = 'mysql';
  readonly locksRows = true;
  readonly kysely: Kysely<StorageSchema>;
  readonly #pool: Pool;
  readonly #batchSize: number;
  readonly #logger: StorageLogger | undefined;
  /** Whether result batches try LOAD DATA LOCAL INFILE; false once the server refused it. */
  #loadData: boolean;
  #maxAllowedPacket: Promise<number> | undefined;
  #closing: Promise<void> | undefined;

  constructor(url: string, options: MysqlOptions) {
    this.#batchSize = options.batchSize;
    this.#logger = options.logger;
    this.#loadData = options.localInfile;
    this.#pool = createPool({
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
      flags: ['-FOUND_ROWS', ...(options.localInfile ? [] : ['-LOCAL_FILES']), ...options.clientFlags],
      // Batch inserts are prepared statements; a small per-connection cache (closing evicted ones)
      // keeps the server's global max_prepared_stmt_count far away.
      maxPreparedStatements: 64,
    });
    // Set on every new connection, whether Kysely or the batch writer takes it first.
    this.#pool.on('connection', (connection) => {
      connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', () => undefined);
    });
    this.kysely = new Kysely<StorageSchema>({ dialect: new MysqlDialect({ pool: this.#pool }) });
  }

  time(date: Date): Date {
    return date;
  }

  transaction<T>(work: (db: Kysely<StorageSchema>) => Promise<T>): Promise<T> {
    return this.kysely.transaction().execute(work);
  }

  /** Kysely's MySQL migrator takes GET_LOCK. */
  migrate(run: (db: Kysely<StorageSchema>, schema: undefined) => Promise<string[]>): Promise<string[]> {
    return run(this.kysely, undefined);
  }

  async writeResults(batch: EncodedBatch, check: AttemptCheck): Promise<WrittenCounts> {
    const maxAllowedPacket = await this.#maxAllowedPacketOnce();
    const insert = (connection: PoolConnection, owner: AttemptOwner) => insertBatch(connection, batch, owner, this.#batchSize, maxAllowedPacket);
    if (!this.#loadData) return this.#fenced(batch, check, insert);
    return this.#fenced(batch, check, async (connection, owner) => {
      try {
        return await loadBatch(connection, batch, owner);
      } catch (err) {
        if (!isLocalInfileRefused(err)) throw err;
        // The refused statement stored nothing; the transaction (and the record's lock) is intact.
        if (this.#loadData) {
          this.#loadData = false;
          this.#logger?.warn(
            { dialect: 'mysql', errno: (err as { errno?: number }).errno, reason: (err as Error).message },
            'database: the server refuses LOAD DATA LOCAL INFILE (local_infile); result rows use multi-row INSERTs, which are slower',
          );
        }
        return insert(connection, owner);
      }
    });
  }

  /** BEGIN, lock and check the record, `write`, COMMIT — on a pool connection of its own. */
  async #fenced(
    batch: EncodedBatch,
    check: AttemptCheck,
    write: (connection: PoolConnection, owner: AttemptOwner) => Promise<WrittenCounts>,
  ): Promise<WrittenCounts> {
    const connection = await new Promise<PoolConnection>((resolve, reject) => {
      this.#pool.getConnection((err, raw) => (err ? reject(err) : resolve(raw.promise())));
    });
    let broken = false;
    try {
      await connection.query('begin');
      try {
        const [rows] = await connection.query<RowDataPacket[]>(fenceQuery('?', true), [batch.jobId]);
        const counts = await write(connection, check(rows[0] as AttemptRow | undefined));
        await connection.query('commit');
        return counts;
      } catch (err) {
        await connection.query('rollback').catch(() => {
          broken = true;
        });
        throw err;
      }
    } finally {
      // A connection whose rollback failed is in an unknown state: close it instead of reusing it.
      if (broken) connection.destroy();
      else connection.release();
    }
  }

  /** max_allowed_packet of the server, read once. */
  #maxAllowedPacketOnce(): Promise<number> {
    this.#maxAllowedPacket ??= sql<{ packet: number | string }>`select @@max_allowed_packet as packet`
      .execute(this.kysely)
      .then(({ rows }) => Number(rows[0].packet))
      .catch((err: unknown) => {
        this.#maxAllowedPacket = undefined;
        throw err;
      });
    return this.#maxAllowedPacket;
  }

  async deleteResultChunk(table: ResultTable, fileKey: number, which: ResultRowSelection, limit: number): Promise<number> {
    // MySQL cannot LIMIT inside an IN subquery, but has DELETE … LIMIT.
    const result = await this.transaction((db) => {
      let query = db.deleteFrom(table).where('file_key', '=', fileKey);
      if (which === 'stale') query = query.where((eb) => eb.not(ofLiveAttempt(table)));
      return query.limit(limit).executeTakeFirst();
    });
    return Number(result.numDeletedRows);
  }

  close(): Promise<void> {
    this.#closing ??= this.kysely.destroy();
    return this.#closing;
  }
}
