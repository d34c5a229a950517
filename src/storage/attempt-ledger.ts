/**
 * The attempt ledger: every status change of a job and every write fenced by an attempt token.
 *
 * Rules (SPEC §8):
 * - An attempt is current while the job's record is `processing` under the attempt's token.
 *   `requireCurrentAttempt` (attempt-fence.ts) is the only place that decides it; every fenced write
 *   (result batches on every bulk path, completion, ending an attempt) calls it on the record read
 *   under the record's lock, inside the transaction that writes.
 * - Status changes follow status.ts; `processing` and `completed` are reached only through
 *   startAttempt/completeAttempt, which own the token and the row counts.
 * - Starting, ending or releasing an attempt (back to `pending`) is one short transaction on the
 *   record; the rows of attempts that are not live any more are then deleted in bounded chunks, after
 *   the commit (no stale attempt can add rows once the record changed).
 */
import { sql, type Kysely, type UpdateObject } from 'kysely';
import { AppError } from '../errors.js';
import { FENCE_COLUMNS, requireCurrentAttempt, type AttemptRow } from './attempt-fence.js';
import type { DialectAdapter } from './dialects/adapter.js';
import { jobNotFound } from './errors.js';
import type { AttemptResult, FileRecordPatch } from './model.js';
import type { ResultRows } from './result-rows.js';
import { storableText, type EncodedBatch, type WrittenCounts } from './row-encoding.js';
import type { StorageSchema } from './schema.js';

type RecordUpdate = UpdateObject<StorageSchema, 'file_records'>;
import { assertTransition } from './status.js';
import { FINAL_STATUSES, type JobStatus, type UnsuccessfulStatus } from '../domain/index.js';

/** Status changes and fenced writes of jobs. See the rules at the top of this file. */
export class AttemptLedger {
  constructor(
    private readonly adapter: DialectAdapter,
    private readonly results: ResultRows,
    private readonly now: () => Date,
  ) {}

  /** Reads the record's status and token under its lock (inside `db`'s transaction). */
  private async lockRecord(db: Kysely<StorageSchema>, jobId: string): Promise<AttemptRow | undefined> {
    const query = db.selectFrom('file_records').select(FENCE_COLUMNS).where('job_id', '=', jobId);
    return (this.adapter.locksRows ? query.forUpdate() : query).executeTakeFirst();
  }

  /** Locks the record, lets `decide` validate it and name the update, applies it: one transaction. */
  private async change(
    jobId: string,
    decide: (current: AttemptRow | undefined, db: Kysely<StorageSchema>) => Promise<RecordUpdate | undefined>,
  ): Promise<boolean> {
    return this.adapter.transaction(async (db) => {
      const current = await this.lockRecord(db, jobId);
      const update = await decide(current, db);
      if (update === undefined) return false;
      await db.updateTable('file_records').set(update).where('job_id', '=', jobId).execute();
      return true;
    });
  }

  /** See Database.startAttempt. */
  async startAttempt(jobId: string, token: string): Promise<void> {
    const at = this.adapter.time(this.now());
    await this.change(jobId, async (current) => {
      if (!current) throw jobNotFound(jobId);
      assertTransition(jobId, current.status as JobStatus, 'processing');
      return { status: 'processing', started_at: at, completed_at: null, attempts: sql<number>`attempts + 1`, attempt_token: token, updated_at: at };
    });
    await this.results.deleteRows(jobId, 'stale');
  }

  /** See Database.insertBatch: the adapter's bulk path, fenced by the attempt check. */
  writeBatch(batch: EncodedBatch): Promise<WrittenCounts> {
    return this.adapter.writeResults(batch, (row) => requireCurrentAttempt(batch.jobId, batch.token, row));
  }

  /** See Database.completeAttempt. */
  async completeAttempt(jobId: string, token: string, result: AttemptResult): Promise<void> {
    const counts = { totalRows: result.totalRows, cleanedRows: result.cleanedRows, exceptionRows: result.exceptionRows };
    if (result.totalRows !== result.cleanedRows + result.exceptionRows) {
      throw new AppError('INTERNAL_ERROR', '行数不一致：总行数应等于清洗行数与异常行数之和', { jobId, ...counts });
    }
    const at = this.adapter.time(this.now());
    await this.change(jobId, async (current, db) => {
      if (current?.status === 'completed' && current.attempt_token === token) return undefined;
      const owner = requireCurrentAttempt(jobId, token, current);
      const stored = await this.results.countOfAttempt(owner, db);
      if (stored.cleanRows !== result.cleanedRows || stored.exceptionRows !== result.exceptionRows) {
        throw new AppError('INTERNAL_ERROR', '数据库中的行数与处理结果不一致', {
          jobId,
          ...counts,
          storedCleanRows: stored.cleanRows,
          storedExceptionRows: stored.exceptionRows,
        });
      }
      return {
        status: 'completed',
        completed_at: at,
        total_rows: result.totalRows,
        cleaned_rows: result.cleanedRows,
        exception_rows: result.exceptionRows,
        processing_time_ms: result.processingTimeMs,
        statistics: JSON.stringify(result.statistics),
        layout: JSON.stringify(result.layout),
        error_code: null,
        error_message: null,
        updated_at: at,
      };
    });
  }

  /** See Database.endAttempt. */
  async endAttempt(jobId: string, token: string | null, status: UnsuccessfulStatus, errorCode: string | null, errorMessage: string | null): Promise<void> {
    const at = this.adapter.time(this.now());
    await this.change(jobId, async (current) => {
      if (token !== null) {
        // Repeating the same end is a no-op; any other state means another attempt owns the job.
        if (current?.attempt_token === token && current.status === status) return undefined;
        requireCurrentAttempt(jobId, token, current);
      } else {
        if (!current) throw jobNotFound(jobId);
        if (current.status === status) return undefined;
        assertTransition(jobId, current.status as JobStatus, status);
      }
      return { status, completed_at: at, error_code: storableText(errorCode), error_message: storableText(errorMessage), updated_at: at };
    });
    await this.results.deleteRows(jobId, 'stale');
  }

  /**
   * See Database.updateFileRecord. Moving to `pending` releases the attempt (token revoked; its
   * rows stay until the next startAttempt, so a shutdown does not wait for a large delete); moving
   * to a final status ends it and deletes its rows.
   */
  async update(jobId: string, patch: FileRecordPatch): Promise<void> {
    const at = this.adapter.time(this.now());
    let ended = false;
    await this.change(jobId, async (current) => {
      if (!current) throw jobNotFound(jobId);
      const update: RecordUpdate = { updated_at: at };
      if (patch.status !== undefined && patch.status !== current.status) {
        if (patch.status === 'processing' || patch.status === 'completed') {
          throw new AppError('INVALID_STATE', `任务状态 ${patch.status} 只能由处理过程设置`, { jobId, from: current.status, to: patch.status });
        }
        assertTransition(jobId, current.status as JobStatus, patch.status);
        update.status = patch.status;
        if (patch.status === 'pending') {
          update.attempt_token = null;
          update.completed_at = null;
        } else {
          update.completed_at = at;
          ended = true;
        }
      }
      if (patch.enqueuedAt !== undefined) update.enqueued_at = patch.enqueuedAt === null ? null : this.adapter.time(patch.enqueuedAt);
      if (patch.errorCode !== undefined) update.error_code = storableText(patch.errorCode);
      if (patch.errorMessage !== undefined) update.error_message = storableText(patch.errorMessage);
      return update;
    });
    if (ended) await this.results.deleteRows(jobId, 'stale');
  }

  /** See Database.resetForRetry. */
  async resetForRetry(jobId: string): Promise<void> {
    const at = this.adapter.time(this.now());
    await this.change(jobId, async (current) => {
      if (!current) throw jobNotFound(jobId);
      const from = current.status as JobStatus;
      if (!FINAL_STATUSES.includes(from)) {
        throw new AppError('INVALID_STATE', `任务状态 ${from} 不能重试`, { jobId, from, to: 'pending' });
      }
      assertTransition(jobId, from, 'pending');
      return {
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
        updated_at: at,
      };
    });
    // A failed job has no rows left; this only matters if an earlier cleanup was interrupted.
    await this.results.deleteRows(jobId, 'stale');
  }
}
