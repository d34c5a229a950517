/**
 * Reading and deleting a job's result rows (clean_data, error_logs). Writing them is the attempt
 * ledger's job (every write is fenced); this module never writes rows.
 *
 * Rules:
 * - Rows are read in (sheet_index, row_number) order, the unique key of both tables.
 * - Totals of a completed job come from its record (verified at completion), else from COUNT.
 * - Streams use keyset pagination on the key: each chunk is one index range scan, constant memory.
 * - Deletes run in chunks of `deleteChunkSize`, each its own short transaction, so no delete of a
 *   5 M-row job becomes one transaction that stalls the database.
 */
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { AttemptOwner, ResultTable } from './attempt-fence.js';
import type { DialectAdapter, ResultRowSelection } from './dialects/adapter.js';
import { jobNotFound } from './errors.js';
import type { PageQuery, ResultCounts, StoredException } from './model.js';
import type { StorageSchema } from './schema.js';
import type { CleanRecord, ExceptionRecord } from '../domain/index.js';

/** Below every real sheet index and row number: the start of a keyset scan. */
const KEYSET_START = -2_147_483_648;

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

/** Throws AppError INVALID_REQUEST unless page and pageSize are positive integers. */
export function assertPage(query: PageQuery): void {
  const { page, pageSize } = query;
  if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new AppError('INVALID_REQUEST', '分页参数无效：page 与 pageSize 必须是正整数', { page, pageSize });
  }
}

function assertChunkSize(chunkSize: number): void {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new AppError('INVALID_REQUEST', 'chunkSize must be a positive integer', { chunkSize });
  }
}

export class ResultRows {
  constructor(
    private readonly adapter: DialectAdapter,
    private readonly deleteChunkSize: number,
  ) {}

  private get db(): Kysely<StorageSchema> {
    return this.adapter.kysely;
  }

  /** See Database.cleanRows. */
  async cleanPage(jobId: string, query: PageQuery): Promise<{ rows: CleanRecord[]; total: number }> {
    assertPage(query);
    const totals = await this.totals(jobId);
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('clean_data')
        .select(['sheet_index', 'row_number', 'data'])
        .where('file_key', '=', totals.fileKey)
        .orderBy('sheet_index')
        .orderBy('row_number')
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      totals.completed ? totals.cleanRows : this.countTable('clean_data', totals.fileKey),
    ]);
    return { rows: rows.map(toCleanRecord), total };
  }

  /** See Database.exceptionRows. */
  async exceptionPage(jobId: string, query: PageQuery): Promise<{ rows: StoredException[]; total: number }> {
    assertPage(query);
    const totals = await this.totals(jobId);
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('error_logs')
        .select(['sheet_index', 'row_number', 'data', 'errors', 'message'])
        .where('file_key', '=', totals.fileKey)
        .orderBy('sheet_index')
        .orderBy('row_number')
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      totals.completed ? totals.exceptionRows : this.countTable('error_logs', totals.fileKey),
    ]);
    return { rows: rows.map(toStoredException), total };
  }

  /** See Database.streamCleanRows. */
  async *streamClean(jobId: string, chunkSize: number): AsyncGenerator<CleanRecord[]> {
    assertChunkSize(chunkSize);
    const fileKey = await this.fileKeyOf(jobId);
    if (fileKey === undefined) return;
    for await (const rows of this.keysetScan('clean_data', fileKey, chunkSize, (sheet, after, limit) =>
      this.db
        .selectFrom('clean_data')
        .select(['sheet_index', 'row_number', 'data'])
        .where('file_key', '=', fileKey)
        .where('sheet_index', '=', sheet)
        .where('row_number', '>', after)
        .orderBy('row_number')
        .limit(limit)
        .execute(),
    )) {
      yield rows.map(toCleanRecord);
    }
  }

  /** See Database.streamExceptionRows. */
  async *streamExceptions(jobId: string, chunkSize: number): AsyncGenerator<StoredException[]> {
    assertChunkSize(chunkSize);
    const fileKey = await this.fileKeyOf(jobId);
    if (fileKey === undefined) return;
    for await (const rows of this.keysetScan('error_logs', fileKey, chunkSize, (sheet, after, limit) =>
      this.db
        .selectFrom('error_logs')
        .select(['sheet_index', 'row_number', 'data', 'errors', 'message'])
        .where('file_key', '=', fileKey)
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
  async count(jobId: string): Promise<ResultCounts> {
    const fileKey = await this.fileKeyOf(jobId);
    if (fileKey === undefined) return { cleanRows: 0, exceptionRows: 0 };
    return { cleanRows: await this.countTable('clean_data', fileKey), exceptionRows: await this.countTable('error_logs', fileKey) };
  }

  /** Rows stored by one attempt, read through `db` (the completing transaction). */
  async countOfAttempt(owner: AttemptOwner, db: Kysely<StorageSchema>): Promise<ResultCounts> {
    const count = async (table: ResultTable) => {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('file_key', '=', owner.fileKey)
        .where('attempt', '=', owner.attempt)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    return { cleanRows: await count('clean_data'), exceptionRows: await count('error_logs') };
  }

  /**
   * Deletes a job's rows in chunks: `all`, or the `stale` ones — every row except those of the
   * job's live attempt. The live attempt is read by each DELETE itself, not remembered from the
   * caller's status change: by the time the cleanup runs, a newer attempt (a takeover, a retry
   * after a cancel) may own the job and have stored rows.
   */
  async deleteRows(jobId: string, which: ResultRowSelection): Promise<void> {
    const fileKey = await this.fileKeyOf(jobId);
    if (fileKey === undefined) return;
    for (const table of ['clean_data', 'error_logs'] as const) {
      while ((await this.adapter.deleteResultChunk(table, fileKey, which, this.deleteChunkSize)) >= this.deleteChunkSize);
    }
  }

  private async fileKeyOf(jobId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('file_records').select('file_key').where('job_id', '=', jobId).executeTakeFirst();
    return row && Number(row.file_key);
  }

  private async countTable(table: ResultTable, fileKey: number): Promise<number> {
    const row = await this.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('file_key', '=', fileKey)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Key, status and (for completed jobs, verified at completion) row totals of a job. */
  private async totals(jobId: string): Promise<{ fileKey: number; completed: boolean; cleanRows: number; exceptionRows: number }> {
    const row = await this.db
      .selectFrom('file_records')
      .select(['file_key', 'status', 'cleaned_rows', 'exception_rows'])
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    if (!row) throw jobNotFound(jobId);
    return {
      fileKey: Number(row.file_key),
      completed: row.status === 'completed',
      cleanRows: Number(row.cleaned_rows),
      exceptionRows: Number(row.exception_rows),
    };
  }

  /**
   * Walks a job's rows sheet by sheet, each sheet by row number after the last one seen. The next
   * sheet is found with an ORDER BY … LIMIT 1 on the index, so no query ever scans more than one
   * chunk (no OFFSET, no OR conditions the planners handle badly).
   */
  private async *keysetScan<Row extends { row_number: number }>(
    table: ResultTable,
    fileKey: number,
    chunkSize: number,
    fetch: (sheet: number, afterRow: number, limit: number) => Promise<Row[]>,
  ): AsyncGenerator<Row[]> {
    let sheet = await this.nextSheet(table, fileKey, KEYSET_START);
    while (sheet !== undefined) {
      let after = KEYSET_START;
      for (;;) {
        const rows = await fetch(sheet, after, chunkSize);
        if (rows.length > 0) yield rows;
        if (rows.length < chunkSize) break;
        after = Number(rows[rows.length - 1].row_number);
      }
      sheet = await this.nextSheet(table, fileKey, sheet);
    }
  }

  private async nextSheet(table: ResultTable, fileKey: number, after: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom(table)
      .select('sheet_index')
      .where('file_key', '=', fileKey)
      .where('sheet_index', '>', after)
      .orderBy('sheet_index')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.sheet_index);
  }
}
