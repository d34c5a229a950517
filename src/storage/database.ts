import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { Migrator, sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Pool as MysqlPool } from 'mysql2';
import type { PoolConnection as PromisePoolConnection, RowDataPacket } from 'mysql2/promise';
import type pg from 'pg';
import { AppError } from '../errors.js';
import { openConnection, parseDatabaseUrl, SQLITE_BUSY_TIMEOUT_MS, type OpenedConnection } from './connection.js';
import { StaleAttemptError } from './errors.js';
import { storageMigrations } from './migrations.js';
import {
  type AttemptResult,
  type DialectName,
  type FileRecord,
  type FileRecordPatch,
  type FindByStatusOptions,
  type ListFilesQuery,
  type NewFileRecord,
  type PageQuery,
  type RemovedJobFiles,
  type ActivitySummary,
  type ResultCounts,
  type StorageLogger,
  type StoredException,
} from './model.js';
import { copyPostgresRows, SqliteRowWriter, storableText, writeMysqlRows, writePostgresRows, type EncodedBatch, type WrittenCounts } from './row-writers.js';
import type { FileRecordsTable, StorageSchema } from './schema.js';
import { assertTransition } from './status.js';
import {
  type CleanRecord,
  type ColumnType,
  type ExceptionRecord,
  type FileFormat,
  FINAL_STATUSES,
  type JobStatus,
  type ProcessStatistics,
  type SheetLayout,
  type UnsuccessfulStatus,
} from '../domain/index.js';

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
  /** Receives "migrations applied" and "pooled connection lost" notes. */
  logger?: StorageLogger;
}

/** Opens (lazily connects) the database named by a `DATABASE_URL`. Call `migrate()` before use. */
export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  return new Database(url, options);
}

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

/**
 * One write lock per SQLite file per process. better-sqlite3 waits for a busy database
 * synchronously, so two connections of one process to the same file (two Database instances)
 * must never contend inside SQLite: the second would block the event loop the first needs to
 * finish. Other processes are handled by SQLite's own lock and busy_timeout.
 */
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

type FileRecordRow = Selectable<FileRecordsTable>;
type LockedRecord = { status: JobStatus; attempt_token: string | null };

const SORT_COLUMNS = {
  uploadedAt: 'uploaded_at',
  originalName: 'original_name',
  size: 'size',
  status: 'status',
  totalRows: 'total_rows',
} as const;

/** SQLSTATE unique_violation. */
const PG_UNIQUE_VIOLATION = '23505';

/** Below every real sheet index and row number: the start of a keyset scan. */
const KEYSET_START = -2_147_483_648;

function toNumber(value: number | string | bigint | null): number {
  return value === null ? 0 : Number(value);
}

function toDate(value: Date | string): Date;
function toDate(value: Date | string | null): Date | null;
function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

function toFileRecord(row: FileRecordRow): FileRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    originalName: row.original_name,
    size: toNumber(row.size),
    fileType: row.file_type as FileFormat,
    mimeType: row.mime_type,
    status: row.status as JobStatus,
    storageKey: row.storage_key,
    columnTypes: parseJson<Record<string, ColumnType>>(row.column_types),
    uploadedAt: toDate(row.uploaded_at),
    enqueuedAt: toDate(row.enqueued_at),
    startedAt: toDate(row.started_at),
    completedAt: toDate(row.completed_at),
    totalRows: toNumber(row.total_rows),
    cleanedRows: toNumber(row.cleaned_rows),
    exceptionRows: toNumber(row.exception_rows),
    processingTimeMs: row.processing_time_ms === null ? null : toNumber(row.processing_time_ms),
    statistics: parseJson<ProcessStatistics>(row.statistics),
    layout: parseJson<SheetLayout[]>(row.layout),
    cleanFilePath: row.clean_file_path,
    exceptionFilePath: row.exception_file_path,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    attempts: toNumber(row.attempts),
    attemptToken: row.attempt_token,
    updatedAt: toDate(row.updated_at),
  };
}

function toCleanRecord(row: { sheet_index: number; row_number: number; data: string }): CleanRecord {
  return { sheetIndex: Number(row.sheet_index), rowNumber: Number(row.row_number), values: JSON.parse(row.data) as string[] };
}

function toStoredException(row: { sheet_index: number; row_number: number; data: string; errors: string; message: string }): StoredException {
  return {
    sheetIndex: Number(row.sheet_index),
    rowNumber: Number(row.row_number),
    values: JSON.parse(row.data) as string[],
    errors: JSON.parse(row.errors) as ExceptionRecord['errors'],
    reason: row.message,
  };
}

function assertPage(query: PageQuery): void {
  const { page, pageSize } = query;
  if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new AppError('INVALID_REQUEST', '分页参数无效：page 与 pageSize 必须是正整数', { page, pageSize });
  }
}

function jobNotFound(jobId: string): AppError {
  return new AppError('JOB_NOT_FOUND', `任务不存在：${jobId}`, { jobId });
}

/**
 * The product's persistence layer: file records, clean rows and error logs on SQLite,
 * PostgreSQL or MySQL/MariaDB, chosen by the `DATABASE_URL`. The only place that speaks SQL.
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

  readonly #connection: OpenedConnection;
  readonly #kysely: Kysely<StorageSchema>;
  readonly #now: () => Date;
  readonly #deleteChunkSize: number;
  readonly #sqliteLock: Mutex | undefined;
  #sqliteInsert: ((batch: EncodedBatch) => WrittenCounts) | undefined;
  #maxAllowedPacket: Promise<number> | undefined;
  #closing: Promise<void> | undefined;
  readonly #logger: StorageLogger | undefined;

  /** Prefer {@link createDatabase}. Opens the driver; server connections are made on first use. */
  constructor(url: string, options: DatabaseOptions = {}) {
    const target = parseDatabaseUrl(url);
    this.dialect = target.dialect;
    this.batchSize = options.batchSize ?? 1000;
    this.#deleteChunkSize = options.deleteChunkSize ?? 5000;
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger;
    this.#connection = openConnection(target, {
      poolSize: options.poolSize ?? 10,
      applicationName: options.applicationName ?? 'data-cleaning-service',
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      sqliteBusyTimeoutMs: options.sqliteBusyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS,
      onIdleConnectionLost: (err) =>
        this.#logger?.warn({ dialect: this.dialect, code: err.code, err: err.message }, 'database: pooled connection lost; the pool reconnects'),
    });
    this.#kysely = this.#connection.kysely;
    this.#sqliteLock = this.#connection.dialect === 'sqlite' ? sqliteWriteLock(this.#connection.file) : undefined;
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
        const applied = await this.#migrateOnce();
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

  async #migrateOnce(): Promise<string[]> {
    const provider = { getMigrations: async () => storageMigrations(this.dialect) };
    const run = async (migrator: Migrator): Promise<string[]> => {
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    };
    const connection = this.#connection;
    switch (connection.dialect) {
      case 'sqlite':
        // Kysely's SQLite adapter takes no lock; an IMMEDIATE transaction is one (and makes the DDL atomic).
        return this.#sqliteTransaction((db) => run(new Migrator({ db, provider })));
      case 'postgres': {
        // The migration bookkeeping tables go into the schema the search_path selects; otherwise
        // Kysely would find another schema's bookkeeping table and skip the migrations.
        const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(this.#kysely);
        const schema = rows[0]?.schema ?? undefined;
        return run(new Migrator({ db: this.#kysely, provider, migrationTableSchema: schema }));
      }
      case 'mysql':
        return run(new Migrator({ db: this.#kysely, provider }));
    }
  }

  /** Runs a trivial query: resolves when the database answers, rejects with the driver's error. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#kysely);
  }

  /** Closes the pool (or the SQLite file). Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#kysely.destroy();
    return this.#closing;
  }

  // ---------------------------------------------------------------- file records

  /** Inserts a new record in status `pending` and returns it. */
  async createFileRecord(input: NewFileRecord): Promise<FileRecord> {
    const now = this.#now();
    const uploadedAt = input.uploadedAt ?? now;
    await this.#write((db) =>
      db
        .insertInto('file_records')
        .values({
          id: input.id,
          job_id: input.jobId,
          original_name: storableText(input.originalName),
          size: input.size,
          file_type: input.fileType,
          mime_type: storableText(input.mimeType),
          status: 'pending',
          storage_key: input.storageKey,
          column_types: input.columnTypes ? JSON.stringify(input.columnTypes) : null,
          uploaded_at: this.#time(uploadedAt),
          total_rows: 0,
          cleaned_rows: 0,
          exception_rows: 0,
          attempts: 0,
          updated_at: this.#time(now),
        })
        .execute(),
    );
    const record = await this.getFileRecordByJobId(input.jobId);
    if (!record) throw jobNotFound(input.jobId);
    return record;
  }

  /** The record of a file id, or undefined. */
  async getFileRecord(fileId: string): Promise<FileRecord | undefined> {
    const row = await this.#kysely.selectFrom('file_records').selectAll().where('id', '=', fileId).executeTakeFirst();
    return row && toFileRecord(row);
  }

  /** The record of a task/job id, or undefined. */
  async getFileRecordByJobId(jobId: string): Promise<FileRecord | undefined> {
    const row = await this.#kysely.selectFrom('file_records').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    return row && toFileRecord(row);
  }

  /**
   * One page of the file list with the total matching count. Sorting is by code point on text
   * columns on every dialect; ties are broken by id in the same direction.
   */
  async listFileRecords(query: ListFilesQuery): Promise<{ files: FileRecord[]; total: number }> {
    assertPage(query);
    const column = SORT_COLUMNS[query.sortBy ?? 'uploadedAt'];
    const direction = query.order ?? 'desc';
    let filtered = this.#kysely.selectFrom('file_records');
    if (query.status !== undefined) filtered = filtered.where('status', '=', query.status);
    if (query.startDate !== undefined) filtered = filtered.where('uploaded_at', '>=', this.#time(query.startDate));
    if (query.endDate !== undefined) filtered = filtered.where('uploaded_at', '<=', this.#time(query.endDate));
    const [rows, count] = await Promise.all([
      filtered
        .selectAll()
        .orderBy(column, direction)
        .orderBy('id', direction)
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      filtered.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { files: rows.map(toFileRecord), total: Number(count.total) };
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
    const now = this.#now();
    const removeRows = await this.#write(async (db) => {
      const current = await this.#lockRecord(db, jobId);
      if (!current) throw jobNotFound(jobId);
      const update: Updateable<FileRecordsTable> = { updated_at: this.#time(now) };
      let removeRows = false;
      if (patch.status !== undefined && patch.status !== current.status) {
        if (patch.status === 'processing' || patch.status === 'completed') {
          throw new AppError('INVALID_STATE', `任务状态 ${patch.status} 只能由处理过程设置`, { jobId, from: current.status, to: patch.status });
        }
        assertTransition(jobId, current.status, patch.status);
        update.status = patch.status;
        if (patch.status === 'pending') {
          update.attempt_token = null;
          update.completed_at = null;
        } else {
          update.completed_at = this.#time(now);
          removeRows = true;
        }
      }
      if (patch.enqueuedAt !== undefined) update.enqueued_at = patch.enqueuedAt === null ? null : this.#time(patch.enqueuedAt);
      if (patch.errorCode !== undefined) update.error_code = storableText(patch.errorCode);
      if (patch.errorMessage !== undefined) update.error_message = storableText(patch.errorMessage);
      if (patch.cleanFilePath !== undefined) update.clean_file_path = patch.cleanFilePath;
      if (patch.exceptionFilePath !== undefined) update.exception_file_path = patch.exceptionFilePath;
      await db.updateTable('file_records').set(update).where('job_id', '=', jobId).execute();
      return removeRows;
    });
    if (removeRows) await this.#deleteResultRows(jobId, 'stale');
    const record = await this.getFileRecordByJobId(jobId);
    if (!record) throw jobNotFound(jobId);
    return record;
  }

  /**
   * Records in the given statuses, at most `limit`: least recently updated first (the recovery
   * manager's scan), or most recently finished first (`orderBy: 'completedAtDesc'`).
   */
  async findRecordsByStatus(statuses: readonly JobStatus[], options: FindByStatusOptions): Promise<FileRecord[]> {
    if (statuses.length === 0) return [];
    let query = this.#kysely
      .selectFrom('file_records')
      .selectAll()
      .where('status', 'in', [...statuses]);
    if (options.updatedBefore !== undefined) query = query.where('updated_at', '<', this.#time(options.updatedBefore));
    if (options.enqueued === true) query = query.where('enqueued_at', 'is not', null);
    if (options.enqueued === false) query = query.where('enqueued_at', 'is', null);
    query =
      options.orderBy === 'completedAtDesc'
        ? query.where('completed_at', 'is not', null).orderBy('completed_at', 'desc').orderBy('id', 'desc')
        : query.orderBy('updated_at', 'asc').orderBy('id', 'asc');
    const rows = await query.limit(options.limit).execute();
    return rows.map(toFileRecord);
  }

  /** How many jobs reached each final status since `since` (by completedAt), and their rows. */
  async activitySince(since: Date): Promise<ActivitySummary> {
    const rows = await this.#kysely
      .selectFrom('file_records')
      .select((eb) => [
        'status',
        eb.fn.countAll().as('jobs'),
        eb.fn.sum<number | string | null>('total_rows').as('rows'),
        eb.fn.sum<number | string | null>('processing_time_ms').as('time'),
      ])
      .where('completed_at', '>=', this.#time(since))
      .groupBy('status')
      .execute();
    const summary: ActivitySummary = { completed: 0, failed: 0, timedOut: 0, cancelled: 0, completedRows: 0, processingTimeMs: 0 };
    for (const row of rows) {
      const jobs = Number(row.jobs);
      if (row.status === 'completed') {
        summary.completed = jobs;
        summary.completedRows = Number(row.rows ?? 0);
        summary.processingTimeMs = Number(row.time ?? 0);
      } else if (row.status === 'failed') summary.failed = jobs;
      else if (row.status === 'timeout') summary.timedOut = jobs;
      else if (row.status === 'cancelled') summary.cancelled = jobs;
    }
    return summary;
  }

  /**
   * Puts a failed, timed-out or cancelled job back to `pending` for a manual retry: clears the
   * error, the attempt token, the timestamps of the last run, results and cached export paths
   * (remove those files first — their keys are in the record you read before). Throws AppError
   * INVALID_STATE from any other status, JOB_NOT_FOUND for an unknown job.
   */
  async resetForRetry(jobId: string): Promise<FileRecord> {
    const now = this.#now();
    await this.#write(async (db) => {
      const current = await this.#lockRecord(db, jobId);
      if (!current) throw jobNotFound(jobId);
      if (!FINAL_STATUSES.includes(current.status)) {
        throw new AppError('INVALID_STATE', `任务状态 ${current.status} 不能重试`, { jobId, from: current.status, to: 'pending' });
      }
      assertTransition(jobId, current.status, 'pending');
      await db
        .updateTable('file_records')
        .set({
          status: 'pending',
          error_code: null,
          error_message: null,
          attempt_token: null,
          enqueued_at: null,
          started_at: null,
          completed_at: null,
          total_rows: 0,
          cleaned_rows: 0,
          exception_rows: 0,
          processing_time_ms: null,
          statistics: null,
          layout: null,
          clean_file_path: null,
          exception_file_path: null,
          updated_at: this.#time(now),
        })
        .where('job_id', '=', jobId)
        .execute();
    });
    // A failed job has no rows left; this only matters if an earlier cleanup was interrupted.
    await this.#deleteResultRows(jobId, 'stale');
    const record = await this.getFileRecordByJobId(jobId);
    if (!record) throw jobNotFound(jobId);
    return record;
  }

  /**
   * Deletes a job: its result rows (in bounded chunks), then its record. Returns the files the
   * caller should remove from the file store, or undefined when there was no such job.
   */
  async deleteFileRecord(jobId: string): Promise<RemovedJobFiles | undefined> {
    const row = await this.#kysely
      .selectFrom('file_records')
      .select(['id', 'job_id', 'storage_key', 'clean_file_path', 'exception_file_path'])
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    if (!row) return undefined;
    await this.#deleteResultRows(jobId, 'all');
    await this.#write((db) => db.deleteFrom('file_records').where('job_id', '=', jobId).execute());
    return { jobId: row.job_id, fileId: row.id, storageKey: row.storage_key, cleanFilePath: row.clean_file_path, exceptionFilePath: row.exception_file_path };
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
  async startAttempt(jobId: string, token: string): Promise<void> {
    const now = this.#now();
    await this.#write(async (db) => {
      const current = await this.#lockRecord(db, jobId);
      if (!current) throw jobNotFound(jobId);
      assertTransition(jobId, current.status, 'processing');
      await db
        .updateTable('file_records')
        .set({
          status: 'processing',
          started_at: this.#time(now),
          completed_at: null,
          attempts: sql<number>`attempts + 1`,
          attempt_token: token,
          updated_at: this.#time(now),
        })
        .where('job_id', '=', jobId)
        .execute();
    });
    await this.#deleteResultRows(jobId, 'stale');
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
    const batch: EncodedBatch = { jobId, token, clean, exceptions, reasons };
    const connection = this.#connection;
    switch (connection.dialect) {
      case 'sqlite': {
        const insert = (this.#sqliteInsert ??= this.#prepareSqliteInsert(connection.sqlite));
        // better-sqlite3 is synchronous: without this, a loop of insertBatch calls would never give
        // timers (BullMQ lock renewal, progress) a turn.
        await yieldToEventLoop();
        // The whole transaction runs synchronously: the write lock is held for one batch only.
        return this.#sqliteLock!.run(() => insert(batch));
      }
      case 'postgres':
        try {
          return await this.#copyPostgresBatch(connection.pool, batch);
        } catch (err) {
          if ((err as { code?: unknown }).code !== PG_UNIQUE_VIOLATION) throw err;
          // Some rows are stored already (a batch repeated after a lost commit acknowledgement):
          // store the others with the path that skips duplicates.
          return this.#write(async (db) => {
            await this.#requireCurrentAttempt(db, jobId, token);
            return writePostgresRows(db, batch, this.batchSize);
          });
        }
      case 'mysql':
        return this.#mysqlBatch(connection.pool, batch, await this.#mysqlMaxAllowedPacket());
    }
  }

  /**
   * Completes the attempt `token`: checks the token (StaleAttemptError), that
   * totalRows = cleanedRows + exceptionRows and that exactly that many clean_data / error_logs
   * rows are stored (AppError INTERNAL_ERROR otherwise), then stores the results and sets status
   * completed and completedAt. Repeating the call for an attempt that already completed is a no-op.
   */
  async completeAttempt(jobId: string, token: string, result: AttemptResult): Promise<void> {
    const now = this.#now();
    if (result.totalRows !== result.cleanedRows + result.exceptionRows) {
      throw new AppError('INTERNAL_ERROR', '行数不一致：总行数应等于清洗行数与异常行数之和', { jobId, ...countsOf(result) });
    }
    await this.#write(async (db) => {
      const current = await this.#lockRecord(db, jobId);
      if (current?.status === 'completed' && current.attempt_token === token) return;
      if (!current || current.status !== 'processing' || current.attempt_token !== token) {
        throw new StaleAttemptError(jobId, token, current?.status);
      }
      const stored = await this.#countRows(db, jobId);
      if (stored.cleanRows !== result.cleanedRows || stored.exceptionRows !== result.exceptionRows) {
        throw new AppError('INTERNAL_ERROR', '数据库中的行数与处理结果不一致', {
          jobId,
          ...countsOf(result),
          storedCleanRows: stored.cleanRows,
          storedExceptionRows: stored.exceptionRows,
        });
      }
      await db
        .updateTable('file_records')
        .set({
          status: 'completed',
          completed_at: this.#time(now),
          total_rows: result.totalRows,
          cleaned_rows: result.cleanedRows,
          exception_rows: result.exceptionRows,
          processing_time_ms: result.processingTimeMs,
          statistics: JSON.stringify(result.statistics),
          layout: JSON.stringify(result.layout),
          error_code: null,
          error_message: null,
          updated_at: this.#time(now),
        })
        .where('job_id', '=', jobId)
        .execute();
    });
  }

  /**
   * Ends a job without results: status failed, timeout or cancelled, completedAt, the error, and
   * its partial rows deleted (in chunks, after the status change, so no stale attempt can add
   * more). With a `token`, only that attempt may end the job (StaleAttemptError otherwise;
   * repeating the same call is a no-op). With `null` (timeout manager, recovery, cancel) the
   * status change is validated instead (AppError INVALID_STATE; JOB_NOT_FOUND).
   */
  async endAttempt(jobId: string, token: string | null, status: UnsuccessfulStatus, errorCode: string | null, errorMessage: string | null): Promise<void> {
    const now = this.#now();
    await this.#write(async (db) => {
      const current = await this.#lockRecord(db, jobId);
      if (token !== null) {
        if (!current || current.attempt_token !== token) throw new StaleAttemptError(jobId, token, current?.status);
        if (current.status === status) return;
        if (current.status !== 'processing') throw new StaleAttemptError(jobId, token, current.status);
      } else {
        if (!current) throw jobNotFound(jobId);
        if (current.status === status) return;
        assertTransition(jobId, current.status, status);
      }
      await db
        .updateTable('file_records')
        .set({
          status,
          completed_at: this.#time(now),
          error_code: storableText(errorCode),
          error_message: storableText(errorMessage),
          updated_at: this.#time(now),
        })
        .where('job_id', '=', jobId)
        .execute();
    });
    await this.#deleteResultRows(jobId, 'stale');
  }

  // ---------------------------------------------------------------- results

  /**
   * One page of a job's clean rows, in sheet and row order, with the total count.
   * Throws AppError JOB_NOT_FOUND for an unknown job.
   */
  async cleanRows(jobId: string, query: PageQuery): Promise<{ rows: CleanRecord[]; total: number }> {
    assertPage(query);
    const record = await this.#resultTotals(jobId);
    const [rows, total] = await Promise.all([
      this.#kysely
        .selectFrom('clean_data')
        .select(['sheet_index', 'row_number', 'data'])
        .where('job_id', '=', jobId)
        .orderBy('sheet_index')
        .orderBy('row_number')
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      record.completed ? record.cleanRows : this.#countTable('clean_data', jobId),
    ]);
    return { rows: rows.map(toCleanRecord), total };
  }

  /**
   * One page of a job's exceptions (original values, field errors and reason text), in sheet and
   * row order, with the total count. Throws AppError JOB_NOT_FOUND for an unknown job.
   */
  async exceptionRows(jobId: string, query: PageQuery): Promise<{ rows: StoredException[]; total: number }> {
    assertPage(query);
    const record = await this.#resultTotals(jobId);
    const [rows, total] = await Promise.all([
      this.#kysely
        .selectFrom('error_logs')
        .select(['sheet_index', 'row_number', 'data', 'errors', 'message'])
        .where('job_id', '=', jobId)
        .orderBy('sheet_index')
        .orderBy('row_number')
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      record.completed ? record.exceptionRows : this.#countTable('error_logs', jobId),
    ]);
    return { rows: rows.map(toStoredException), total };
  }

  /**
   * All clean rows of a job in sheet and row order, `chunkSize` at a time. Keyset pagination on
   * the (job_id, sheet_index, row_number) index: each chunk is one index range scan, memory stays
   * constant whatever the job size.
   */
  async *streamCleanRows(jobId: string, chunkSize = 1000): AsyncGenerator<CleanRecord[]> {
    for await (const rows of this.#keysetScan('clean_data', jobId, chunkSize, (sheet, after, limit) =>
      this.#kysely
        .selectFrom('clean_data')
        .select(['sheet_index', 'row_number', 'data'])
        .where('job_id', '=', jobId)
        .where('sheet_index', '=', sheet)
        .where('row_number', '>', after)
        .orderBy('row_number')
        .limit(limit)
        .execute(),
    )) {
      yield rows.map(toCleanRecord);
    }
  }

  /** All exceptions of a job in sheet and row order, `chunkSize` at a time (see streamCleanRows). */
  async *streamExceptionRows(jobId: string, chunkSize = 1000): AsyncGenerator<StoredException[]> {
    for await (const rows of this.#keysetScan('error_logs', jobId, chunkSize, (sheet, after, limit) =>
      this.#kysely
        .selectFrom('error_logs')
        .select(['sheet_index', 'row_number', 'data', 'errors', 'message'])
        .where('job_id', '=', jobId)
        .where('sheet_index', '=', sheet)
        .where('row_number', '>', after)
        .orderBy('row_number')
        .limit(limit)
        .execute(),
    )) {
      yield rows.map(toStoredException);
    }
  }

  /** Rows stored for a job right now (0 and 0 for an unknown job). */
  async countResults(jobId: string): Promise<ResultCounts> {
    return this.#countRows(this.#kysely, jobId);
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes every job that reached a final status before `cutoff` (by completedAt; pending and
   * processing jobs are never touched): rows in bounded chunks, then the record. Returns the
   * files of the deleted jobs for the caller to remove from the file store. An interrupted run
   * leaves records whose rows are partly gone; the next run finishes them.
   */
  async deleteJobsOlderThan(cutoff: Date): Promise<RemovedJobFiles[]> {
    const removed: RemovedJobFiles[] = [];
    const final = [...FINAL_STATUSES];
    for (;;) {
      const candidates = await this.#kysely
        .selectFrom('file_records')
        .select(['id', 'job_id', 'storage_key', 'clean_file_path', 'exception_file_path'])
        .where('status', 'in', final)
        .where('completed_at', '<', this.#time(cutoff))
        .orderBy('completed_at')
        .limit(100)
        .execute();
      if (candidates.length === 0) return removed;
      for (const row of candidates) {
        await this.#deleteResultRows(row.job_id, 'all');
        const result = await this.#write((db) =>
          db
            .deleteFrom('file_records')
            .where('job_id', '=', row.job_id)
            .where('status', 'in', final)
            .where('completed_at', '<', this.#time(cutoff))
            .executeTakeFirst(),
        );
        if (Number(result.numDeletedRows) > 0) {
          removed.push({
            jobId: row.job_id,
            fileId: row.id,
            storageKey: row.storage_key,
            cleanFilePath: row.clean_file_path,
            exceptionFilePath: row.exception_file_path,
          });
        }
      }
    }
  }

  // ---------------------------------------------------------------- internals

  /** A timestamp as the dialect stores it. */
  #time(date: Date): Date | string {
    return this.dialect === 'sqlite' ? date.toISOString() : date;
  }

  /**
   * Runs `work` in a write transaction. SQLite: BEGIN IMMEDIATE (takes the write lock up front, so
   * the transaction never fails half-way on a lock upgrade), under the per-file process lock.
   */
  #write<T>(work: (db: Kysely<StorageSchema>) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.#sqliteTransaction(work);
    return this.#kysely.transaction().execute(work);
  }

  #sqliteTransaction<T>(work: (db: Kysely<StorageSchema>) => Promise<T>): Promise<T> {
    return this.#sqliteLock!.run(() =>
      this.#kysely.connection().execute(async (db) => {
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

  /** Reads the record's status and token; on PostgreSQL/MySQL locks the row until commit. */
  async #lockRecord(db: Kysely<StorageSchema>, jobId: string): Promise<LockedRecord | undefined> {
    const query = db.selectFrom('file_records').select(['status', 'attempt_token']).where('job_id', '=', jobId);
    const row = await (this.dialect === 'sqlite' ? query : query.forUpdate()).executeTakeFirst();
    return row && { status: row.status as JobStatus, attempt_token: row.attempt_token };
  }

  async #requireCurrentAttempt(db: Kysely<StorageSchema>, jobId: string, token: string): Promise<void> {
    const current = await this.#lockRecord(db, jobId);
    if (!current || current.status !== 'processing' || current.attempt_token !== token) {
      throw new StaleAttemptError(jobId, token, current?.status);
    }
  }

  #prepareSqliteInsert(sqlite: BetterSqlite3.Database): (batch: EncodedBatch) => WrittenCounts {
    const writer = new SqliteRowWriter(sqlite);
    const check = sqlite.prepare<[string], { status: JobStatus; attempt_token: string | null }>(
      'select status, attempt_token from file_records where job_id = ?',
    );
    const transaction = sqlite.transaction((batch: EncodedBatch): WrittenCounts => {
      const current = check.get(batch.jobId);
      if (!current || current.status !== 'processing' || current.attempt_token !== batch.token) {
        throw new StaleAttemptError(batch.jobId, batch.token, current?.status);
      }
      return writer.write(batch);
    });
    return (batch) => transaction.immediate(batch);
  }

  /**
   * The PostgreSQL batch on a pool client of its own (COPY needs the driver's client, which Kysely
   * does not expose): BEGIN, lock and check the record, COPY both tables, COMMIT.
   */
  async #copyPostgresBatch(pool: pg.Pool, batch: EncodedBatch): Promise<WrittenCounts> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      // Batches commit without waiting for the WAL flush: a server crash can lose the last
      // few batches, never half of one. completeAttempt commits durably after verifying that
      // every row is there, so such a loss fails the attempt (which is then retried) instead
      // of going unnoticed — and the batches avoid one disk flush each.
      await client.query('begin; set local synchronous_commit = off');
      try {
        const { rows } = await client.query<{ status: JobStatus; attempt_token: string | null }>(
          'select status, attempt_token from file_records where job_id = $1 for update',
          [batch.jobId],
        );
        const current = rows[0];
        if (!current || current.status !== 'processing' || current.attempt_token !== batch.token) {
          throw new StaleAttemptError(batch.jobId, batch.token, current?.status);
        }
        const counts = await copyPostgresRows(client, batch);
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

  /**
   * The MySQL batch on a pool connection of its own (prepared statements need the driver's
   * connection): BEGIN, lock and check the record, insert both tables, COMMIT.
   */
  async #mysqlBatch(pool: MysqlPool, batch: EncodedBatch, maxAllowedPacket: number): Promise<WrittenCounts> {
    const connection = await new Promise<PromisePoolConnection>((resolve, reject) => {
      pool.getConnection((err, raw) => (err ? reject(err) : resolve(raw.promise())));
    });
    let broken = false;
    try {
      await connection.query('begin');
      try {
        const [rows] = await connection.query<RowDataPacket[]>('select status, attempt_token from file_records where job_id = ? for update', [batch.jobId]);
        const current = rows[0] as { status: JobStatus; attempt_token: string | null } | undefined;
        if (!current || current.status !== 'processing' || current.attempt_token !== batch.token) {
          throw new StaleAttemptError(batch.jobId, batch.token, current?.status);
        }
        const counts = await writeMysqlRows(connection, batch, this.batchSize, maxAllowedPacket);
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

  /** max_allowed_packet of the MySQL server, read once. */
  #mysqlMaxAllowedPacket(): Promise<number> {
    this.#maxAllowedPacket ??= sql<{ packet: number | string }>`select @@max_allowed_packet as packet`
      .execute(this.#kysely)
      .then(({ rows }) => Number(rows[0].packet))
      .catch((err: unknown) => {
        this.#maxAllowedPacket = undefined;
        throw err;
      });
    return this.#maxAllowedPacket;
  }

  async #countTable(table: 'clean_data' | 'error_logs', jobId: string, db: Kysely<StorageSchema> = this.#kysely): Promise<number> {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async #countRows(db: Kysely<StorageSchema>, jobId: string): Promise<ResultCounts> {
    const cleanRows = await this.#countTable('clean_data', jobId, db);
    const exceptionRows = await this.#countTable('error_logs', jobId, db);
    return { cleanRows, exceptionRows };
  }

  /** Status and (for completed jobs, verified at completion) row totals of a job. */
  async #resultTotals(jobId: string): Promise<{ completed: boolean; cleanRows: number; exceptionRows: number }> {
    const row = await this.#kysely
      .selectFrom('file_records')
      .select(['status', 'cleaned_rows', 'exception_rows'])
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    if (!row) throw jobNotFound(jobId);
    return { completed: row.status === 'completed', cleanRows: toNumber(row.cleaned_rows), exceptionRows: toNumber(row.exception_rows) };
  }

  /**
   * Walks a job's rows sheet by sheet, each sheet by row number after the last one seen. The next
   * sheet is found with an ORDER BY … LIMIT 1 on the index, so no query ever scans more than one
   * chunk (no OFFSET, no OR conditions the planners handle badly).
   */
  async *#keysetScan<Row extends { row_number: number }>(
    table: 'clean_data' | 'error_logs',
    jobId: string,
    chunkSize: number,
    fetch: (sheet: number, afterRow: number, limit: number) => Promise<Row[]>,
  ): AsyncGenerator<Row[]> {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new AppError('INVALID_REQUEST', 'chunkSize must be a positive integer', { chunkSize });
    }
    let sheet = await this.#nextSheet(table, jobId, KEYSET_START);
    while (sheet !== undefined) {
      let after = KEYSET_START;
      for (;;) {
        const rows = await fetch(sheet, after, chunkSize);
        if (rows.length > 0) yield rows;
        if (rows.length < chunkSize) break;
        after = Number(rows[rows.length - 1].row_number);
      }
      sheet = await this.#nextSheet(table, jobId, sheet);
    }
  }

  async #nextSheet(table: 'clean_data' | 'error_logs', jobId: string, after: number): Promise<number | undefined> {
    const row = await this.#kysely
      .selectFrom(table)
      .select('sheet_index')
      .where('job_id', '=', jobId)
      .where('sheet_index', '>', after)
      .orderBy('sheet_index')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.sheet_index);
  }

  /**
   * Deletes a job's result rows in chunks of `deleteChunkSize`, each its own short transaction:
   * `all` of them (the job is being deleted), or the `stale` ones — every row except those of the
   * job's live attempt (status processing or completed, row written under the record's current
   * token). The live attempt is read by each DELETE itself, not remembered from the caller's
   * status change: the cleanup runs after that change has committed, and by then a newer attempt
   * (a takeover, a retry after a cancel) may own the job and have stored its rows.
   */
  async #deleteResultRows(jobId: string, which: 'all' | 'stale'): Promise<void> {
    const chunk = this.#deleteChunkSize;
    for (const table of ['clean_data', 'error_logs'] as const) {
      const ofLiveAttempt = sql<boolean>`exists (select 1 from file_records owner where owner.job_id = ${sql.ref(`${table}.job_id`)} and owner.status in ('processing', 'completed') and owner.attempt_token = ${sql.ref(`${table}.attempt_token`)})`;
      for (;;) {
        const result = await this.#write((db) => {
          if (this.dialect === 'mysql') {
            // MySQL cannot LIMIT inside an IN subquery, but has DELETE … LIMIT.
            let query = db.deleteFrom(table).where('job_id', '=', jobId);
            if (which === 'stale') query = query.where((eb) => eb.not(ofLiveAttempt));
            return query.limit(chunk).executeTakeFirst();
          }
          let ids = db.selectFrom(table).select('id').where('job_id', '=', jobId);
          if (which === 'stale') ids = ids.where((eb) => eb.not(ofLiveAttempt));
          return db.deleteFrom(table).where('id', 'in', ids.limit(chunk)).executeTakeFirst();
        });
        if (Number(result.numDeletedRows) < chunk) break;
      }
    }
  }
}

function countsOf(result: AttemptResult): Record<string, number> {
  return { totalRows: result.totalRows, cleanedRows: result.cleanedRows, exceptionRows: result.exceptionRows };
}
