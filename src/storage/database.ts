import { setTimeout as sleep } from 'node:timers/promises';
import { Migrator } from 'kysely';
import { AppError } from '../errors.js';
import { AttemptLedger } from './attempt-ledger.js';
import { parseDatabaseUrl, SQLITE_BUSY_TIMEOUT_MS } from './connection.js';
import { openAdapter, type DialectAdapter } from './dialects/index.js';
import { DEFAULT_SQLITE_ROWS_PER_STATEMENT } from './dialects/sqlite-rows.js';
import { FileRecords } from './file-records.js';
import { storageMigrations } from './migrations.js';
import {
  type ActivitySummary,
  type AttemptResult,
  type DialectName,
  type FileRecord,
  type FileRecordPatch,
  type FindByStatusOptions,
  type ListFilesQuery,
  type NewFileRecord,
  type PageQuery,
  type RemovedJobFiles,
  type ResultCounts,
  type StorageLogger,
  type StoredException,
} from './model.js';
import { ResultRows } from './result-rows.js';
import type { WrittenCounts } from './row-encoding.js';
import { sql } from 'kysely';
import type { CleanRecord, ExceptionRecord, JobStatus, UnsuccessfulStatus } from '../domain/index.js';

/** Tuning and test hooks of a {@link Database}. */
export interface DatabaseOptions {
  /** Most rows per INSERT statement (PostgreSQL, MySQL). Default 1000 (`BATCH_SIZE`). */
  batchSize?: number;
  /** Connections per pool (PostgreSQL, MySQL). Default 10. */
  poolSize?: number;
  /** Rows per DELETE when a job's results are removed, so no transaction grows huge. Default 5000. */
  deleteChunkSize?: number;
  /** How long to wait for a server connection before failing. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * SQLite: how long a write waits for another process's transaction before failing with
   * SQLITE_BUSY. Default 15 s. (better-sqlite3 waits synchronously; write transactions are kept
   * to one batch, a few milliseconds, so real waits are short.)
   */
  sqliteBusyTimeoutMs?: number;
  /** PostgreSQL `application_name`, to find this process's sessions in `pg_stat_activity`. */
  applicationName?: string;
  /** Clock for every stored timestamp (tests inject one). Default `() => new Date()`. */
  now?: () => Date;
  /** Receives "migrations applied", "pooled connection lost" and bulk-path fallback notes. */
  logger?: StorageLogger;
  /**
   * SQLite: write result rows from a thread of their own (better-sqlite3 is synchronous; the
   * thread keeps the event loop free). File databases only. Default true (`SQLITE_WRITER_THREAD`).
   */
  sqliteWriterThread?: boolean;
  /** SQLite: rows per multi-row INSERT of result rows. Default 500 (`SQLITE_ROWS_PER_STATEMENT`). */
  sqliteRowsPerStatement?: number;
  /**
   * MySQL: store result rows with LOAD DATA LOCAL INFILE from a stream; when the server refuses it,
   * multi-row INSERTs (logged once). false: INSERTs only. Default true (`MYSQL_LOCAL_INFILE`).
   */
  mysqlLocalInfile?: boolean;
  /** MySQL: extra mysql2 client flags. A test hook: '-LOCAL_FILES' makes the server refuse LOAD DATA LOCAL. */
  mysqlClientFlags?: readonly string[];
}

/** Opens (lazily connects) the database named by a `DATABASE_URL`. Call `migrate()` before use. */
export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  return new Database(url, options);
}

/**
 * The product's persistence layer (a facade): file records, clean rows and error logs on SQLite,
 * PostgreSQL or MySQL/MariaDB, chosen by the `DATABASE_URL`. The only place that speaks SQL. The
 * work is done by {@link FileRecords}, the {@link AttemptLedger}, {@link ResultRows} and one
 * dialect adapter per engine (`dialects/`); this class keeps the public method names.
 *
 * Results are written under an attempt token (SPEC §8): `startAttempt` makes a token current and
 * removes leftovers of earlier attempts, `insertBatch`/`completeAttempt`/`endAttempt` are refused
 * with {@link StaleAttemptError} once another attempt took over. Driver errors (lost connection,
 * busy database) are rethrown unchanged, so their `code` (ECONNREFUSED, 57P01,
 * PROTOCOL_CONNECTION_LOST, SQLITE_BUSY…) tells callers to retry; pools reconnect by themselves.
 */
export class Database {
  /** The engine behind the URL. */
  readonly dialect: DialectName;
  /** Most rows per INSERT statement on the server dialects. */
  readonly batchSize: number;

  readonly #adapter: DialectAdapter;
  readonly #records: FileRecords;
  readonly #ledger: AttemptLedger;
  readonly #results: ResultRows;
  readonly #logger: StorageLogger | undefined;

  /** Prefer {@link createDatabase}. Opens the driver; server connections are made on first use. */
  constructor(url: string, options: DatabaseOptions = {}) {
    const target = parseDatabaseUrl(url);
    this.dialect = target.dialect;
    this.batchSize = options.batchSize ?? 1000;
    this.#logger = options.logger;
    const now = options.now ?? (() => new Date());
    this.#adapter = openAdapter(target, {
      batchSize: this.batchSize,
      poolSize: options.poolSize ?? 10,
      applicationName: options.applicationName ?? 'data-cleaning-service',
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      sqliteBusyTimeoutMs: options.sqliteBusyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS,
      sqliteWriterThread: options.sqliteWriterThread ?? true,
      sqliteRowsPerStatement: options.sqliteRowsPerStatement ?? DEFAULT_SQLITE_ROWS_PER_STATEMENT,
      mysqlLocalInfile: options.mysqlLocalInfile ?? true,
      mysqlClientFlags: options.mysqlClientFlags ?? [],
      logger: options.logger,
      onIdleConnectionLost: (err) =>
        this.#logger?.warn({ dialect: this.dialect, code: err.code, err: err.message }, 'database: pooled connection lost; the pool reconnects'),
    });
    this.#results = new ResultRows(this.#adapter, options.deleteChunkSize ?? 5000);
    this.#records = new FileRecords(this.#adapter, this.#results, now);
    this.#ledger = new AttemptLedger(this.#adapter, this.#results, now);
  }

  // ---------------------------------------------------------------- life cycle

  /**
   * Brings the schema up to date (migrations defined in code) and returns the names applied now.
   * Safe when several processes start at once: PostgreSQL takes an advisory lock, MySQL GET_LOCK,
   * SQLite runs the whole migration in one IMMEDIATE transaction; a lost race is retried.
   */
  async migrate(): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await this.#adapter.migrate(async (db, migrationTableSchema) => {
          const provider = { getMigrations: async () => storageMigrations(this.dialect) };
          const { error, results } = await new Migrator({ db, provider, migrationTableSchema }).migrateToLatest();
          if (error) throw error;
          return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
        });
        if (applied.length > 0) this.#logger?.info({ dialect: this.dialect, applied }, 'database: migrations applied');
        return applied;
      } catch (err) {
        if (attempt >= 5) throw err;
        this.#logger?.warn(
          { dialect: this.dialect, attempt, err: err instanceof Error ? err.message : String(err) },
          'database: migration attempt failed, retrying',
        );
        await sleep(50 * attempt + Math.random() * 100);
      }
    }
  }

  /** Runs a trivial query: resolves when the database answers, rejects with the driver's error. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#adapter.kysely);
  }

  /**
   * Starts what writing result rows needs (SQLite: its writer thread) so that the first batch of a
   * worker does not pay for it; resolves when it is ready. Until then batches are written anyway.
   */
  async prepareWrites(): Promise<void> {
    await this.#adapter.prepareWrites?.();
  }

  /** Closes the pool (or the SQLite file). Safe to call twice. */
  close(): Promise<void> {
    return this.#adapter.close();
  }

  // ---------------------------------------------------------------- file records

  /** Inserts a new record in status `pending` and returns it. */
  createFileRecord(input: NewFileRecord): Promise<FileRecord> {
    return this.#records.create(input);
  }

  /** The record of a file id, or undefined. */
  getFileRecord(fileId: string): Promise<FileRecord | undefined> {
    return this.#records.byId(fileId);
  }

  /** The record of a task/job id, or undefined. */
  getFileRecordByJobId(jobId: string): Promise<FileRecord | undefined> {
    return this.#records.byJobId(jobId);
  }

  /**
   * One page of the file list with the total matching count. Sorting is by code point on text
   * columns on every dialect; ties are broken by id in the same direction.
   */
  listFileRecords(query: ListFilesQuery): Promise<{ files: FileRecord[]; total: number }> {
    return this.#records.list(query);
  }

  /**
   * Changes the fields of {@link FileRecordPatch}. A status change is validated (AppError
   * INVALID_STATE otherwise); `processing` and `completed` can only be reached through
   * startAttempt/completeAttempt. Moving to `pending` revokes the attempt token (a worker still
   * running gets StaleAttemptError; its rows are removed by the next startAttempt); moving to
   * failed/timeout/cancelled also sets completedAt and removes the job's partial rows.
   * Throws AppError JOB_NOT_FOUND for an unknown job.
   */
  async updateFileRecord(jobId: string, patch: FileRecordPatch): Promise<FileRecord> {
    await this.#ledger.update(jobId, patch);
    return this.#records.require(jobId);
  }

  /**
   * Records in the given statuses, at most `limit`: least recently updated first (the recovery
   * manager's scan), or most recently finished first (`orderBy: 'completedAtDesc'`).
   */
  findRecordsByStatus(statuses: readonly JobStatus[], options: FindByStatusOptions): Promise<FileRecord[]> {
    return this.#records.findByStatus(statuses, options);
  }

  /** How many jobs reached each final status since `since` (by completedAt), and their rows. */
  activitySince(since: Date): Promise<ActivitySummary> {
    return this.#records.activitySince(since);
  }

  /**
   * Puts a failed, timed-out or cancelled job back to `pending` for a manual retry: clears the
   * error, the attempt token, the timestamps of the last run and the results. Throws AppError
   * INVALID_STATE from any other status, JOB_NOT_FOUND for an unknown job.
   */
  async resetForRetry(jobId: string): Promise<FileRecord> {
    await this.#ledger.resetForRetry(jobId);
    return this.#records.require(jobId);
  }

  /**
   * Deletes a job: its result rows (in bounded chunks), then its record. Returns the files the
   * caller should remove from the file store, or undefined when there was no such job.
   */
  deleteFileRecord(jobId: string): Promise<RemovedJobFiles | undefined> {
    return this.#records.delete(jobId);
  }

  // ---------------------------------------------------------------- attempts

  /**
   * Starts a processing attempt under `token`: status → processing, startedAt, attempts + 1, the
   * token becomes current (so every older attempt is refused from now on), and rows left by
   * earlier attempts are deleted before this returns. Allowed from `pending` and from
   * `processing` (a crashed or stalled attempt); AppError INVALID_STATE from a final status
   * (the worker should drop the task), JOB_NOT_FOUND for an unknown job.
   *
   * The token switch is one short transaction holding the record's row lock; the leftovers are
   * then deleted in bounded chunks (a crashed 5M-row attempt does not become one giant
   * transaction that would stall SQLite's single writer). That is safe because every stored row
   * carries its attempt token and no stale attempt can add rows after the switch.
   */
  startAttempt(jobId: string, token: string): Promise<void> {
    return this.#ledger.startAttempt(jobId, token);
  }

  /**
   * Stores one batch of results of the attempt `token`, all or nothing, in one transaction that
   * first checks (under the record's row lock) that the token is still current and the job still
   * processing — otherwise throws {@link StaleAttemptError} and stores nothing. `reasons[i]` is the
   * readable reason text of `exceptions[i]` (error_logs.message; derived from the errors when
   * omitted). A row already stored for the same (sheet, row number) is skipped, so repeating a
   * batch whose commit acknowledgement was lost is harmless. Returns the rows actually stored.
   */
  async insertBatch(
    jobId: string,
    token: string,
    clean: readonly CleanRecord[],
    exceptions: readonly ExceptionRecord[],
    reasons?: readonly string[],
  ): Promise<WrittenCounts> {
    if (reasons !== undefined && reasons.length !== exceptions.length) {
      throw new AppError('INVALID_REQUEST', 'reasons must have one entry per exception', { reasons: reasons.length, exceptions: exceptions.length });
    }
    return this.#ledger.writeBatch({ jobId, token, clean, exceptions, reasons });
  }

  /**
   * Completes the attempt `token`: checks the token (StaleAttemptError), that
   * totalRows = cleanedRows + exceptionRows and that exactly that many clean_data / error_logs
   * rows are stored (AppError INTERNAL_ERROR otherwise), then stores the results and sets status
   * completed and completedAt. Repeating the call for an attempt that already completed is a no-op.
   */
  completeAttempt(jobId: string, token: string, result: AttemptResult): Promise<void> {
    return this.#ledger.completeAttempt(jobId, token, result);
  }

  /**
   * Ends a job without results: status failed, timeout or cancelled, completedAt, the error, and
   * its partial rows deleted (in chunks, after the status change, so no stale attempt can add
   * more). With a `token`, only that attempt may end the job (StaleAttemptError otherwise;
   * repeating the same call is a no-op). With `null` (timeout manager, recovery, cancel) the
   * status change is validated instead (AppError INVALID_STATE; JOB_NOT_FOUND).
   */
  endAttempt(jobId: string, token: string | null, status: UnsuccessfulStatus, errorCode: string | null, errorMessage: string | null): Promise<void> {
    return this.#ledger.endAttempt(jobId, token, status, errorCode, errorMessage);
  }

  // ---------------------------------------------------------------- results

  /**
   * One page of a job's clean rows, in sheet and row order, with the total count.
   * Throws AppError JOB_NOT_FOUND for an unknown job.
   */
  cleanRows(jobId: string, query: PageQuery): Promise<{ rows: CleanRecord[]; total: number }> {
    return this.#results.cleanPage(jobId, query);
  }

  /**
   * One page of a job's exceptions (original values, field errors and reason text), in sheet and
   * row order, with the total count. Throws AppError JOB_NOT_FOUND for an unknown job.
   */
  exceptionRows(jobId: string, query: PageQuery): Promise<{ rows: StoredException[]; total: number }> {
    return this.#results.exceptionPage(jobId, query);
  }

  /**
   * All clean rows of a job in sheet and row order, `chunkSize` at a time. Keyset pagination on
   * the (job_id, sheet_index, row_number) index: each chunk is one index range scan, memory stays
   * constant whatever the job size.
   */
  streamCleanRows(jobId: string, chunkSize = 1000): AsyncGenerator<CleanRecord[]> {
    return this.#results.streamClean(jobId, chunkSize);
  }

  /** All exceptions of a job in sheet and row order, `chunkSize` at a time (see streamCleanRows). */
  streamExceptionRows(jobId: string, chunkSize = 1000): AsyncGenerator<StoredException[]> {
    return this.#results.streamExceptions(jobId, chunkSize);
  }

  /** Rows stored for a job right now (0 and 0 for an unknown job). */
  countResults(jobId: string): Promise<ResultCounts> {
    return this.#results.count(jobId);
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes every job that reached a final status before `cutoff` (by completedAt; pending and
   * processing jobs are never touched): rows in bounded chunks, then the record. Returns the
   * files of the deleted jobs for the caller to remove from the file store. An interrupted run
   * leaves records whose rows are partly gone; the next run finishes them.
   */
  deleteJobsOlderThan(cutoff: Date): Promise<RemovedJobFiles[]> {
    return this.#records.deleteFinishedBefore(cutoff);
  }
}
