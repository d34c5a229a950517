/**
 * File records (`file_records`): one row per upload and the task that processes it — creating,
 * reading, listing and deleting them. Status changes belong to the attempt ledger.
 *
 * Rules:
 * - Text columns sort by code point on every engine; list ties are broken by id, same direction.
 * - JSON columns (column types, statistics, layout) are text, parsed on read.
 * - Deleting a job removes its rows first (chunked), then the record, so an interrupted delete
 *   leaves a record the next run finds again — never orphaned rows.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DialectAdapter } from './dialects/adapter.js';
import { jobNotFound } from './errors.js';
import type { ActivitySummary, FileRecord, FindByStatusOptions, ListFilesQuery, NewFileRecord, RemovedJobFiles } from './model.js';
import { assertPage, type ResultRows } from './result-rows.js';
import { storableText } from './row-encoding.js';
import type { FileRecordsTable, StorageSchema } from './schema.js';
import { FINAL_STATUSES, type ColumnType, type FileFormat, type JobStatus, type ProcessStatistics, type SheetLayout } from '../domain/index.js';

type FileRecordRow = Selectable<FileRecordsTable>;

const SORT_COLUMNS = {
  uploadedAt: 'uploaded_at',
  originalName: 'original_name',
  size: 'size',
  status: 'status',
  totalRows: 'total_rows',
} as const;

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
    errorCode: row.error_code,
    errorMessage: row.error_message,
    attempts: toNumber(row.attempts),
    attemptToken: row.attempt_token,
    updatedAt: toDate(row.updated_at),
    encoding: row.encoding,
    delimiter: row.delimiter,
    dedupe: row.dedupe,
  };
}

export class FileRecords {
  constructor(
    private readonly adapter: DialectAdapter,
    private readonly results: ResultRows,
    private readonly now: () => Date,
  ) {}

  private get db(): Kysely<StorageSchema> {
    return this.adapter.kysely;
  }

  /** See Database.createFileRecord. */
  async create(input: NewFileRecord): Promise<FileRecord> {
    const time = (date: Date) => this.adapter.time(date);
    const now = this.now();
    await this.adapter.transaction((db) =>
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
          uploaded_at: time(input.uploadedAt ?? now),
          total_rows: 0,
          cleaned_rows: 0,
          exception_rows: 0,
          attempts: 0,
          updated_at: time(now),
          encoding: input.encoding ?? null,
          delimiter: input.delimiter ?? null,
          dedupe: input.dedupe ?? null,
        })
        .execute(),
    );
    return this.require(input.jobId);
  }

  async byId(fileId: string): Promise<FileRecord | undefined> {
    const row = await this.db.selectFrom('file_records').selectAll().where('id', '=', fileId).executeTakeFirst();
    return row && toFileRecord(row);
  }

  async byJobId(jobId: string): Promise<FileRecord | undefined> {
    const row = await this.db.selectFrom('file_records').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    return row && toFileRecord(row);
  }

  /** The record of a job; AppError JOB_NOT_FOUND when there is none. */
  async require(jobId: string): Promise<FileRecord> {
    const record = await this.byJobId(jobId);
    if (!record) throw jobNotFound(jobId);
    return record;
  }

  /** See Database.listFileRecords. */
  async list(query: ListFilesQuery): Promise<{ files: FileRecord[]; total: number }> {
    assertPage(query);
    const column = SORT_COLUMNS[query.sortBy ?? 'uploadedAt'];
    const direction = query.order ?? 'desc';
    let filtered = this.db.selectFrom('file_records');
    if (query.status !== undefined) filtered = filtered.where('status', '=', query.status);
    if (query.startDate !== undefined) filtered = filtered.where('uploaded_at', '>=', this.adapter.time(query.startDate));
    if (query.endDate !== undefined) filtered = filtered.where('uploaded_at', '<=', this.adapter.time(query.endDate));
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

  /** See Database.findRecordsByStatus. */
  async findByStatus(statuses: readonly JobStatus[], options: FindByStatusOptions): Promise<FileRecord[]> {
    if (statuses.length === 0) return [];
    let query = this.db
      .selectFrom('file_records')
      .selectAll()
      .where('status', 'in', [...statuses]);
    if (options.updatedBefore !== undefined) query = query.where('updated_at', '<', this.adapter.time(options.updatedBefore));
    if (options.enqueued === true) query = query.where('enqueued_at', 'is not', null);
    if (options.enqueued === false) query = query.where('enqueued_at', 'is', null);
    query =
      options.orderBy === 'completedAtDesc'
        ? query.where('completed_at', 'is not', null).orderBy('completed_at', 'desc').orderBy('id', 'desc')
        : query.orderBy('updated_at', 'asc').orderBy('id', 'asc');
    const rows = await query.limit(options.limit).execute();
    return rows.map(toFileRecord);
  }

  /** See Database.activitySince. */
  async activitySince(since: Date): Promise<ActivitySummary> {
    const rows = await this.db
      .selectFrom('file_records')
      .select((eb) => [
        'status',
        eb.fn.countAll().as('jobs'),
        eb.fn.sum<number | string | null>('total_rows').as('rows'),
        eb.fn.sum<number | string | null>('processing_time_ms').as('time'),
      ])
      .where('completed_at', '>=', this.adapter.time(since))
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

  /** See Database.deleteFileRecord. */
  async delete(jobId: string): Promise<RemovedJobFiles | undefined> {
    const row = await this.db.selectFrom('file_records').select(['id', 'job_id', 'storage_key']).where('job_id', '=', jobId).executeTakeFirst();
    if (!row) return undefined;
    await this.results.deleteRows(jobId, 'all');
    await this.adapter.transaction((db) => db.deleteFrom('file_records').where('job_id', '=', jobId).execute());
    return { jobId: row.job_id, fileId: row.id, storageKey: row.storage_key };
  }

  /** See Database.deleteJobsOlderThan. */
  async deleteFinishedBefore(cutoff: Date): Promise<RemovedJobFiles[]> {
    const removed: RemovedJobFiles[] = [];
    const final = [...FINAL_STATUSES];
    const before = this.adapter.time(cutoff);
    for (;;) {
      const candidates = await this.db
        .selectFrom('file_records')
        .select(['id', 'job_id', 'storage_key'])
        .where('status', 'in', final)
        .where('completed_at', '<', before)
        .orderBy('completed_at')
        .limit(100)
        .execute();
      if (candidates.length === 0) return removed;
      for (const row of candidates) {
        await this.results.deleteRows(row.job_id, 'all');
        const result = await this.adapter.transaction((db) =>
          db.deleteFrom('file_records').where('job_id', '=', row.job_id).where('status', 'in', final).where('completed_at', '<', before).executeTakeFirst(),
        );
        if (Number(result.numDeletedRows) > 0) {
          removed.push({ jobId: row.job_id, fileId: row.id, storageKey: row.storage_key });
        }
      }
    }
  }
}
