import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { PoolConnection as PromisePoolConnection, ResultSetHeader } from 'mysql2/promise';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ResultCounts } from './model.js';
import type { StorageSchema } from './schema.js';
import type { CleanRecord, ExceptionRecord, FieldError } from '../domain/index.js';

/** One batch of result rows, already encoded for the tables. */
export interface EncodedBatch {
  jobId: string;
  token: string;
  clean: readonly CleanRecord[];
  exceptions: readonly ExceptionRecord[];
  /** Readable reason per exception (same order); derived from the errors when absent. */
  reasons?: readonly string[];
}

/** Rows actually stored by one write (a row already present is not stored twice). */
export type WrittenCounts = ResultCounts;

/** The `error_logs.message` text when the caller gives none. */
export function defaultReason(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Free text as every dialect can store it: PostgreSQL rejects NUL characters, and a lone UTF-16
 * surrogate is not valid UTF-8; both become U+FFFD. (Row values are JSON, which escapes both.)
 */
export function storableText(text: string): string;
export function storableText(text: string | null): string | null;
export function storableText(text: string | null): string | null {
  return text === null ? null : text.replace(UNSTORABLE, '\uFFFD');
}

/** The reason text of exception `index`. */
function reasonAt(batch: EncodedBatch, index: number): string {
  return storableText(batch.reasons?.[index] ?? defaultReason(batch.exceptions[index].errors));
}

/** Rows per multi-row INSERT on SQLite (5–7 parameters each, far below SQLite's 32,766). */
const SQLITE_ROWS_PER_STATEMENT = 50;

/**
 * SQLite fast path: cached prepared statements inside the caller's transaction (better-sqlite3 is
 * synchronous, so a 1000-row batch holds the write lock for a few milliseconds). Full groups of
 * 50 rows go through a 50-row INSERT, the rest row by row: one statement call per 50 rows measured
 * 1.1–1.5× faster than one per row.
 */
export class SqliteRowWriter {
  private readonly clean: { one: BetterSqlite3.Statement; group: BetterSqlite3.Statement };
  private readonly exceptions: { one: BetterSqlite3.Statement; group: BetterSqlite3.Statement };

  constructor(sqlite: BetterSqlite3.Database) {
    const prepare = (head: string, placeholders: string) => ({
      one: sqlite.prepare(`${head} ${placeholders} on conflict do nothing`),
      group: sqlite.prepare(`${head} ${Array<string>(SQLITE_ROWS_PER_STATEMENT).fill(placeholders).join(',')} on conflict do nothing`),
    });
    this.clean = prepare('insert into clean_data (job_id, attempt_token, sheet_index, "row_number", data) values', '(?, ?, ?, ?, ?)');
    this.exceptions = prepare(
      'insert into error_logs (job_id, attempt_token, sheet_index, "row_number", data, errors, message) values',
      '(?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Inserts the batch; the caller has opened the (immediate) transaction. */
  write(batch: EncodedBatch): WrittenCounts {
    const { jobId, token } = batch;
    const cleanRows = insertGrouped(this.clean, batch.clean.length, (i, params) => {
      const r = batch.clean[i];
      params.push(jobId, token, r.sheetIndex, r.rowNumber, JSON.stringify(r.values));
    });
    const exceptionRows = insertGrouped(this.exceptions, batch.exceptions.length, (i, params) => {
      const r = batch.exceptions[i];
      params.push(jobId, token, r.sheetIndex, r.rowNumber, JSON.stringify(r.values), JSON.stringify(r.errors), reasonAt(batch, i));
    });
    return { cleanRows, exceptionRows };
  }
}

function insertGrouped(
  statements: { one: BetterSqlite3.Statement; group: BetterSqlite3.Statement },
  count: number,
  addRow: (index: number, params: (string | number)[]) => void,
): number {
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

/** Escapes a value for COPY's text format (backslash, and the row/column separators). */
function copyText(value: string): string {
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Rows per piece of COPY input: small pieces let the server parse and insert the first rows while
 * the client still encodes the next ones (measured: 100-row pieces beat one 1000-row piece).
 */
const COPY_PIECE_ROWS = 100;

/** COPY input for `count` rows, produced lazily `chunkRows` rows at a time. */
function* copyChunks(count: number, chunkRows: number, line: (index: number) => string): Generator<string> {
  for (let start = 0; start < count; start += chunkRows) {
    let text = '';
    for (let i = start; i < Math.min(count, start + chunkRows); i++) text += line(i);
    yield text;
  }
}

/**
 * PostgreSQL fast path: COPY … FROM STDIN (text format) into each table, on the caller's client
 * inside its transaction. Measured against INSERT … SELECT FROM unnest($1::text[], …): COPY is
 * faster for ordinary rows and far faster for wide ones (array literals must escape every quote
 * of the JSON, on the client and again on the server). COPY cannot skip duplicates: a repeated
 * batch fails with unique_violation (23505) and the caller falls back to {@link writePostgresRows}.
 */
export async function copyPostgresRows(client: pg.PoolClient, batch: EncodedBatch): Promise<WrittenCounts> {
  const prefix = `${copyText(batch.jobId)}\t${copyText(batch.token)}\t`;
  let cleanRows = 0;
  if (batch.clean.length > 0) {
    const copy = client.query(copyFrom('copy clean_data (job_id, attempt_token, sheet_index, "row_number", data) from stdin'));
    await pipeline(
      Readable.from(
        copyChunks(batch.clean.length, COPY_PIECE_ROWS, (i) => {
          const r = batch.clean[i];
          return `${prefix}${r.sheetIndex}\t${r.rowNumber}\t${copyText(JSON.stringify(r.values))}\n`;
        }),
      ),
      copy,
    );
    cleanRows = copy.rowCount;
  }
  let exceptionRows = 0;
  if (batch.exceptions.length > 0) {
    const copy = client.query(copyFrom('copy error_logs (job_id, attempt_token, sheet_index, "row_number", data, errors, message) from stdin'));
    await pipeline(
      Readable.from(
        copyChunks(batch.exceptions.length, COPY_PIECE_ROWS, (i) => {
          const r = batch.exceptions[i];
          return `${prefix}${r.sheetIndex}\t${r.rowNumber}\t${copyText(JSON.stringify(r.values))}\t${copyText(JSON.stringify(r.errors))}\t${copyText(reasonAt(batch, i))}\n`;
        }),
      ),
      copy,
    );
    exceptionRows = copy.rowCount;
  }
  return { cleanRows, exceptionRows };
}

/**
 * PostgreSQL path that skips rows already stored (ON CONFLICT DO NOTHING): one
 * INSERT … SELECT FROM unnest(arrays) per table and chunk. Used when COPY met a duplicate.
 */
export async function writePostgresRows(trx: Kysely<StorageSchema>, batch: EncodedBatch, chunkRows: number): Promise<WrittenCounts> {
  const { jobId, token } = batch;
  let cleanRows = 0;
  for (let start = 0; start < batch.clean.length; start += chunkRows) {
    const chunk = batch.clean.slice(start, start + chunkRows);
    const result = await sql`
      insert into clean_data (job_id, attempt_token, sheet_index, "row_number", data)
      select ${jobId}, ${token}, u.s, u.r, u.d
      from unnest(${chunk.map((r) => r.sheetIndex)}::int[], ${chunk.map((r) => r.rowNumber)}::int[],
                  ${chunk.map((r) => JSON.stringify(r.values))}::text[]) as u(s, r, d)
      on conflict do nothing`.execute(trx);
    cleanRows += Number(result.numAffectedRows ?? 0);
  }
  let exceptionRows = 0;
  for (let start = 0; start < batch.exceptions.length; start += chunkRows) {
    const chunk = batch.exceptions.slice(start, start + chunkRows);
    const result = await sql`
      insert into error_logs (job_id, attempt_token, sheet_index, "row_number", data, errors, message)
      select ${jobId}, ${token}, u.s, u.r, u.d, u.e, u.m
      from unnest(${chunk.map((r) => r.sheetIndex)}::int[], ${chunk.map((r) => r.rowNumber)}::int[],
                  ${chunk.map((r) => JSON.stringify(r.values))}::text[], ${chunk.map((r) => JSON.stringify(r.errors))}::text[],
                  ${chunk.map((_, i) => reasonAt(batch, start + i))}::text[]) as u(s, r, d, e, m)
      on conflict do nothing`.execute(trx);
    exceptionRows += Number(result.numAffectedRows ?? 0);
  }
  return { cleanRows, exceptionRows };
}

/** Bytes one MySQL statement execution may send: max_allowed_packet minus headroom. */
function packetBudget(maxAllowedPacket: number): number {
  return Math.max(64 * 1024, maxAllowedPacket - 64 * 1024);
}

/** Most rows per prepared statement: MySQL allows 65,535 placeholders. */
const MYSQL_MAX_ROWS_PER_STATEMENT = 9000;

/**
 * MySQL/MariaDB fast path: multi-row INSERT … VALUES (…),(…) as a server-side prepared statement
 * (binary protocol: values travel as raw bytes, nothing is escaped — mysql2's client-side escaping
 * of JSON text measured 1.5× slower for ordinary rows and unusable for 100 KB rows). At most
 * `chunkRows` rows per statement, fewer when the values would exceed max_allowed_packet (a
 * 10,000-column row can be 100s of KB); a single row above the limit fails with the server's
 * ER_NET_PACKET_TOO_LARGE. Runs on the caller's connection inside its transaction.
 */
export async function writeMysqlRows(
  connection: PromisePoolConnection,
  batch: EncodedBatch,
  chunkRows: number,
  maxAllowedPacket: number,
): Promise<WrittenCounts> {
  const { jobId, token } = batch;
  const fixed = Buffer.byteLength(jobId) + Buffer.byteLength(token) + 64;
  const options = { chunkRows: Math.min(chunkRows, MYSQL_MAX_ROWS_PER_STATEMENT), budget: packetBudget(maxAllowedPacket) };
  const cleanRows = await insertMysqlChunks(
    connection,
    'insert into clean_data (job_id, attempt_token, sheet_index, `row_number`, data) values ',
    '(?, ?, ?, ?, ?)',
    batch.clean.map((r) => [jobId, token, r.sheetIndex, r.rowNumber, JSON.stringify(r.values)]),
    (row) => fixed + Buffer.byteLength(row[4] as string),
    options,
  );
  const exceptionRows = await insertMysqlChunks(
    connection,
    'insert into error_logs (job_id, attempt_token, sheet_index, `row_number`, data, errors, message) values ',
    '(?, ?, ?, ?, ?, ?, ?)',
    batch.exceptions.map((r, i) => [jobId, token, r.sheetIndex, r.rowNumber, JSON.stringify(r.values), JSON.stringify(r.errors), reasonAt(batch, i)]),
    (row) => fixed + Buffer.byteLength(row[4] as string) + Buffer.byteLength(row[5] as string) + Buffer.byteLength(row[6] as string),
    options,
  );
  return { cleanRows, exceptionRows };
}

type MysqlValue = string | number;

async function insertMysqlChunks(
  connection: PromisePoolConnection,
  head: string,
  placeholders: string,
  rows: readonly MysqlValue[][],
  sizeOf: (row: readonly MysqlValue[]) => number,
  { chunkRows, budget }: { chunkRows: number; budget: number },
): Promise<number> {
  // A duplicate (job_id, sheet_index, row_number) is skipped, as ON CONFLICT DO NOTHING does elsewhere
  // (the pool turns FOUND_ROWS off, so a skipped row does not count as affected).
  const tail = ' on duplicate key update id = id';
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
