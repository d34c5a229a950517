import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { canTransition, createDatabase, Database, LocalFileStore, RetentionJob, StaleAttemptError, type FileRecord } from '../../src/storage/index.js';
import { createIsolatedDatabase, sampleFileRecord, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import { JOB_STATUSES, type JobStatus } from '../../src/domain/index.js';

const DAY = 24 * 60 * 60 * 1000;

/** Resolves to the AppError code a promise rejects with (or fails the test if it resolves). */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe.each(testDatabases())('file records on $name', ({ name }) => {
  let scratch: IsolatedDatabase;
  let db: Database;
  /** The database clock; tests move it. */
  let clock: Date;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(name);
    db = createDatabase(scratch.url, { now: () => clock });
    await db.migrate();
  });

  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  beforeEach(async () => {
    clock = new Date('2024-03-01T08:00:00.000Z');
    // Start every test from an empty table (records first have their rows deleted).
    for (const record of (await db.listFileRecords({ page: 1, pageSize: 1000 })).files) await db.deleteFileRecord(record.jobId);
  });

  /** Drives a new record to `status` through the public API. */
  async function recordIn(status: JobStatus, overrides: Partial<ReturnType<typeof sampleFileRecord>> = {}): Promise<FileRecord> {
    const record = await db.createFileRecord(sampleFileRecord(overrides));
    if (status === 'pending') return record;
    if (status === 'cancelled') {
      await db.endAttempt(record.jobId, null, 'cancelled', 'CANCELLED', '用户取消');
    } else {
      await db.startAttempt(record.jobId, 'token-1');
      if (status === 'completed') {
        await db.completeAttempt(record.jobId, 'token-1', {
          totalRows: 0,
          cleanedRows: 0,
          exceptionRows: 0,
          processingTimeMs: 1,
          statistics: { totalRows: 0, cleanedRows: 0, exceptionRows: 0, errorsByType: {}, errorsByField: {}, processingTimeMs: 1, format: 'csv', sheets: [] },
          layout: [],
        });
      } else if (status === 'failed' || status === 'timeout') {
        await db.endAttempt(record.jobId, 'token-1', status, 'X', 'boom');
      }
    }
    return (await db.getFileRecordByJobId(record.jobId))!;
  }

  it('creates a pending record and reads it back by file id and job id', async () => {
    const input = sampleFileRecord({
      originalName: '客户名单 2024（最终版）😀.xlsx',
      size: 5_000_000_000,
      fileType: 'xlsx' as const,
      columnTypes: { 手机: 'phone' as const },
    });
    const created = await db.createFileRecord(input);
    const expected: FileRecord = {
      id: input.id,
      jobId: input.jobId,
      originalName: input.originalName,
      size: 5_000_000_000,
      fileType: 'xlsx',
      mimeType: 'text/csv',
      status: 'pending',
      storageKey: input.storageKey,
      columnTypes: { 手机: 'phone' },
      uploadedAt: clock,
      enqueuedAt: null,
      startedAt: null,
      completedAt: null,
      totalRows: 0,
      cleanedRows: 0,
      exceptionRows: 0,
      processingTimeMs: null,
      statistics: null,
      layout: null,
      errorCode: null,
      errorMessage: null,
      attempts: 0,
      attemptToken: null,
      updatedAt: clock,
      encoding: null,
      delimiter: null,
      dedupe: null,
    };
    expect(created).toEqual(expected);
    expect(await db.getFileRecord(input.id)).toEqual(expected);
    expect(await db.getFileRecordByJobId(input.jobId)).toEqual(expected);
    expect(await db.getFileRecord('no-such-file')).toBeUndefined();
    expect(await db.getFileRecordByJobId('no-such-job')).toBeUndefined();
  });

  it('refuses a second record with the same job id', async () => {
    const first = await db.createFileRecord(sampleFileRecord());
    await expect(db.createFileRecord(sampleFileRecord({ jobId: first.jobId }))).rejects.toThrow();
  });

  it('pages, filters by status and upload date, and sorts the file list', async () => {
    const names = ['b.csv', 'a.csv', 'd.csv', 'c.csv', 'e.csv'];
    const created: FileRecord[] = [];
    for (let i = 0; i < names.length; i++) {
      created.push(
        await db.createFileRecord(sampleFileRecord({ originalName: names[i], size: 100 * (i + 1), uploadedAt: new Date(Date.UTC(2024, 0, 10 + i, 12)) })),
      );
    }
    await db.endAttempt(created[1].jobId, null, 'cancelled', 'CANCELLED', '取消');

    const newestFirst = await db.listFileRecords({ page: 1, pageSize: 2 });
    expect(newestFirst.total).toBe(5);
    expect(newestFirst.files.map((f) => f.originalName)).toEqual(['e.csv', 'c.csv']);
    expect((await db.listFileRecords({ page: 3, pageSize: 2 })).files.map((f) => f.originalName)).toEqual(['b.csv']);
    expect((await db.listFileRecords({ page: 4, pageSize: 2 })).files).toEqual([]);

    const byName = await db.listFileRecords({ page: 1, pageSize: 10, sortBy: 'originalName', order: 'asc' });
    expect(byName.files.map((f) => f.originalName)).toEqual(['a.csv', 'b.csv', 'c.csv', 'd.csv', 'e.csv']);
    const bySize = await db.listFileRecords({ page: 1, pageSize: 10, sortBy: 'size', order: 'desc' });
    expect(bySize.files.map((f) => f.size)).toEqual([500, 400, 300, 200, 100]);

    const cancelled = await db.listFileRecords({ page: 1, pageSize: 10, status: 'cancelled' });
    expect(cancelled).toMatchObject({ total: 1, files: [{ originalName: 'a.csv', status: 'cancelled' }] });

    // Both bounds inclusive, to the millisecond.
    const window = await db.listFileRecords({
      page: 1,
      pageSize: 10,
      startDate: new Date(Date.UTC(2024, 0, 11, 12)),
      endDate: new Date(Date.UTC(2024, 0, 13, 12)),
      order: 'asc',
    });
    expect(window.files.map((f) => f.originalName)).toEqual(['a.csv', 'd.csv', 'c.csv']);
    expect(window.total).toBe(3);
    const pendingInWindow = await db.listFileRecords({ page: 1, pageSize: 10, status: 'pending', startDate: new Date(Date.UTC(2024, 0, 11, 12, 0, 0, 1)) });
    expect(pendingInWindow.files.map((f) => f.originalName)).toEqual(['e.csv', 'c.csv', 'd.csv']);
  });

  it('rejects invalid page parameters', async () => {
    expect(await rejectionCode(db.listFileRecords({ page: 0, pageSize: 10 }))).toBe('INVALID_REQUEST');
    expect(await rejectionCode(db.listFileRecords({ page: 1, pageSize: 1.5 }))).toBe('INVALID_REQUEST');
  });

  it('stores the per-upload options (encoding, delimiter, dedupe) given at creation', async () => {
    const input = sampleFileRecord({ encoding: 'gb18030', delimiter: '\t', dedupe: 'exact' });
    const created = await db.createFileRecord(input);
    expect(created).toMatchObject({ encoding: 'gb18030', delimiter: '\t', dedupe: 'exact' });
    expect(await db.getFileRecordByJobId(input.jobId)).toMatchObject({ encoding: 'gb18030', delimiter: '\t', dedupe: 'exact' });
  });

  it('updates enqueue time and error', async () => {
    const record = await db.createFileRecord(sampleFileRecord());
    clock = new Date('2024-03-01T08:00:05.123Z');
    const updated = await db.updateFileRecord(record.jobId, { enqueuedAt: clock, errorMessage: '排队中' });
    expect(updated).toMatchObject({
      status: 'pending',
      enqueuedAt: clock,
      errorMessage: '排队中',
      updatedAt: clock,
    });
    expect(await rejectionCode(db.updateFileRecord('no-such-job', { enqueuedAt: clock }))).toBe('JOB_NOT_FOUND');
  });

  it('allows exactly the legal status changes through updateFileRecord', async () => {
    for (const from of JOB_STATUSES) {
      for (const to of JOB_STATUSES) {
        if (from === to) continue;
        const record = await recordIn(from);
        const attempt = db.updateFileRecord(record.jobId, { status: to, errorCode: 'X' });
        // processing and completed belong to startAttempt/completeAttempt.
        if (canTransition(from, to) && to !== 'processing' && to !== 'completed') {
          const updated = await attempt;
          expect(updated.status, `${from} → ${to}`).toBe(to);
          expect(updated.completedAt === null, `${from} → ${to} completedAt`).toBe(to === 'pending');
        } else {
          expect(await rejectionCode(attempt), `${from} → ${to}`).toBe('INVALID_STATE');
          expect((await db.getFileRecordByJobId(record.jobId))?.status).toBe(from);
        }
      }
    }
  });

  it('follows the life cycle of SPEC R2.4', () => {
    expect(canTransition('pending', 'processing')).toBe(true);
    expect(canTransition('processing', 'completed')).toBe(true);
    expect(canTransition('processing', 'failed')).toBe(true);
    expect(canTransition('processing', 'timeout')).toBe(true);
    expect(canTransition('pending', 'cancelled')).toBe(true);
    for (const status of ['failed', 'timeout', 'cancelled'] as const) expect(canTransition(status, 'pending')).toBe(true);
    for (const to of JOB_STATUSES) expect(canTransition('completed', to)).toBe(false);
    expect(canTransition('pending', 'completed')).toBe(false);
    expect(canTransition('failed', 'processing')).toBe(false);
    expect(canTransition('pending', 'timeout')).toBe(false);
  });

  it('resets a failed, timed-out or cancelled job for a manual retry, and nothing else', async () => {
    for (const status of ['failed', 'timeout', 'cancelled'] as const) {
      const record = await recordIn(status);
      expect(record).toMatchObject({ status, errorCode: expect.any(String) });
      const reset = await db.resetForRetry(record.jobId);
      expect(reset).toMatchObject({
        status: 'pending',
        errorCode: null,
        errorMessage: null,
        attemptToken: null,
        startedAt: null,
        completedAt: null,
        enqueuedAt: null,
      });
      await db.startAttempt(record.jobId, 'token-2');
      expect((await db.getFileRecordByJobId(record.jobId))?.attempts).toBe(status === 'cancelled' ? 1 : 2);
    }
    for (const status of ['pending', 'processing', 'completed'] as const) {
      const record = await recordIn(status);
      expect(await rejectionCode(db.resetForRetry(record.jobId)), status).toBe('INVALID_STATE');
    }
    expect(await rejectionCode(db.resetForRetry('no-such-job'))).toBe('JOB_NOT_FOUND');
  });

  it('ends attempts: with the current token, by id (manager), idempotently; refuses a stale token', async () => {
    const record = await recordIn('processing');
    await expect(db.endAttempt(record.jobId, 'other-token', 'failed', 'X', 'x')).rejects.toBeInstanceOf(StaleAttemptError);
    clock = new Date('2024-03-01T09:00:00.000Z');
    await db.endAttempt(record.jobId, 'token-1', 'failed', 'CORRUPTED_FILE', '文件已损坏');
    await db.endAttempt(record.jobId, 'token-1', 'failed', 'CORRUPTED_FILE', '文件已损坏');
    expect(await db.getFileRecordByJobId(record.jobId)).toMatchObject({
      status: 'failed',
      errorCode: 'CORRUPTED_FILE',
      errorMessage: '文件已损坏',
      completedAt: clock,
    });
    // The attempt is over: the same token cannot turn it into something else.
    await expect(db.endAttempt(record.jobId, 'token-1', 'timeout', 'X', 'x')).rejects.toBeInstanceOf(StaleAttemptError);

    const pending = await recordIn('pending');
    await db.endAttempt(pending.jobId, null, 'failed', 'FILE_NOT_FOUND', '文件不存在');
    expect((await db.getFileRecordByJobId(pending.jobId))?.status).toBe('failed');
    const completed = await recordIn('completed');
    expect(await rejectionCode(db.endAttempt(completed.jobId, null, 'timeout', 'X', 'x'))).toBe('INVALID_STATE');
    expect(await rejectionCode(db.endAttempt('no-such-job', null, 'cancelled', null, null))).toBe('JOB_NOT_FOUND');
  });

  it('refuses to start an attempt on a finished job, and counts attempts', async () => {
    const record = await recordIn('pending');
    await db.startAttempt(record.jobId, 'a');
    await db.startAttempt(record.jobId, 'b');
    expect(await db.getFileRecordByJobId(record.jobId)).toMatchObject({ status: 'processing', attempts: 2, attemptToken: 'b', startedAt: clock });
    for (const status of ['completed', 'failed', 'timeout', 'cancelled'] as const) {
      const finished = await recordIn(status);
      expect(await rejectionCode(db.startAttempt(finished.jobId, 'late')), status).toBe('INVALID_STATE');
    }
    expect(await rejectionCode(db.startAttempt('no-such-job', 'x'))).toBe('JOB_NOT_FOUND');
  });

  it('finds records by status for recovery: least recently updated first, with age and queue filters', async () => {
    const old = await recordIn('pending');
    clock = new Date(clock.getTime() + 60_000);
    const processing = await recordIn('processing');
    clock = new Date(clock.getTime() + 60_000);
    const fresh = await recordIn('pending');
    await db.updateFileRecord(fresh.jobId, { enqueuedAt: clock });
    await recordIn('completed');

    const all = await db.findRecordsByStatus(['pending', 'processing'], { limit: 10 });
    expect(all.map((r) => r.jobId)).toEqual([old.jobId, processing.jobId, fresh.jobId]);
    const stale = await db.findRecordsByStatus(['pending', 'processing'], { updatedBefore: new Date(clock.getTime() - 30_000), limit: 10 });
    expect(stale.map((r) => r.jobId)).toEqual([old.jobId, processing.jobId]);
    expect((await db.findRecordsByStatus(['pending'], { enqueued: false, limit: 10 })).map((r) => r.jobId)).toEqual([old.jobId]);
    expect((await db.findRecordsByStatus(['pending'], { enqueued: true, limit: 10 })).map((r) => r.jobId)).toEqual([fresh.jobId]);
    expect(await db.findRecordsByStatus(['pending', 'processing'], { limit: 1 })).toHaveLength(1);
    expect(await db.findRecordsByStatus([], { limit: 10 })).toEqual([]);
  });

  it('lists the latest failures and summarises recent activity for the queue statistics', async () => {
    clock = new Date('2024-03-01T08:00:00.000Z');
    const early = await recordIn('failed');
    clock = new Date('2024-03-01T09:00:00.000Z');
    const timedOut = await recordIn('timeout');
    const completed = await recordIn('completed');
    const withRows = await recordIn('processing');
    await db.insertBatch(
      withRows.jobId,
      'token-1',
      [{ sheetIndex: 0, rowNumber: 2, values: ['a'] }],
      [{ sheetIndex: 0, rowNumber: 3, values: ['b'], errors: [{ field: 'f', value: 'b', errorType: 'INVALID_PHONE', message: 'm' }] }],
    );
    await db.completeAttempt(withRows.jobId, 'token-1', {
      totalRows: 2,
      cleanedRows: 1,
      exceptionRows: 1,
      processingTimeMs: 20,
      statistics: { totalRows: 2, cleanedRows: 1, exceptionRows: 1, errorsByType: {}, errorsByField: {}, processingTimeMs: 20, format: 'csv', sheets: [] },
      layout: [],
    });
    await recordIn('cancelled');
    clock = new Date('2024-03-01T09:30:00.000Z');
    const late = await recordIn('failed');
    await recordIn('processing');

    const latest = await db.findRecordsByStatus(['failed', 'timeout'], { limit: 2, orderBy: 'completedAtDesc' });
    expect(latest.map((r) => r.jobId)).toEqual([late.jobId, timedOut.jobId]);
    expect((await db.findRecordsByStatus(['failed', 'timeout'], { limit: 10, orderBy: 'completedAtDesc' })).map((r) => r.jobId)).toEqual([
      late.jobId,
      timedOut.jobId,
      early.jobId,
    ]);

    expect(completed.processingTimeMs).toBe(1);
    expect(await db.activitySince(new Date('2024-03-01T08:30:00.000Z'))).toEqual({
      completed: 2,
      failed: 1,
      timedOut: 1,
      cancelled: 1,
      completedRows: 2,
      processingTimeMs: 21,
    });
    expect(await db.activitySince(new Date('2024-03-02T00:00:00.000Z'))).toEqual({
      completed: 0,
      failed: 0,
      timedOut: 0,
      cancelled: 0,
      completedRows: 0,
      processingTimeMs: 0,
    });
  });

  it('tells its logger which migrations it applied', async () => {
    const notes: string[] = [];
    const logger = { info: (_d: object, m?: string) => notes.push(m ?? ''), warn: (_d: object, m?: string) => notes.push(m ?? '') };
    const fresh = await createIsolatedDatabase(name);
    const other = createDatabase(fresh.url, { logger });
    try {
      await other.migrate();
      await other.migrate();
      expect(notes).toEqual(['database: migrations applied']);
    } finally {
      await other.close();
      await fresh.drop();
    }
  });

  describe('retention', () => {
    let root: string;
    let store: LocalFileStore;

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'dcs-retention-'));
      store = new LocalFileStore(root);
    });

    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    /** A finished job with an upload and one stored row, finished at `clock`. */
    async function finishedJob(status: 'completed' | 'failed'): Promise<FileRecord> {
      const saved = await store.save(Readable.from([Buffer.from('a,b\n1,2\n')]), { maxBytes: 1000 });
      const record = await db.createFileRecord(sampleFileRecord({ storageKey: saved.key }));
      await db.startAttempt(record.jobId, 't');
      await db.insertBatch(record.jobId, 't', [{ sheetIndex: 0, rowNumber: 2, values: ['1', '2'] }], []);
      if (status === 'completed') {
        await db.completeAttempt(record.jobId, 't', {
          totalRows: 1,
          cleanedRows: 1,
          exceptionRows: 0,
          processingTimeMs: 3,
          statistics: { totalRows: 1, cleanedRows: 1, exceptionRows: 0, errorsByType: {}, errorsByField: {}, processingTimeMs: 3, format: 'csv', sheets: [] },
          layout: [],
        });
      } else {
        await db.endAttempt(record.jobId, 't', 'failed', 'X', 'x');
      }
      return (await db.getFileRecordByJobId(record.jobId))!;
    }

    it('deletes only jobs that finished before the cutoff, rows and records, and returns their files', async () => {
      clock = new Date('2024-01-01T00:00:00.000Z');
      const oldCompleted = await finishedJob('completed');
      const oldFailed = await finishedJob('failed');
      const oldPending = await recordIn('pending');
      clock = new Date('2024-01-20T00:00:00.000Z');
      const recent = await finishedJob('completed');

      const removed = await db.deleteJobsOlderThan(new Date('2024-01-10T00:00:00.000Z'));
      expect(removed.map((r) => r.jobId).sort()).toEqual([oldCompleted.jobId, oldFailed.jobId].sort());
      expect(removed.find((r) => r.jobId === oldCompleted.jobId)).toEqual({
        jobId: oldCompleted.jobId,
        fileId: oldCompleted.id,
        storageKey: oldCompleted.storageKey,
      });
      expect(await db.getFileRecordByJobId(oldCompleted.jobId)).toBeUndefined();
      expect(await db.countResults(oldCompleted.jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
      expect(await db.getFileRecordByJobId(oldPending.jobId)).toBeDefined();
      expect(await db.countResults(recent.jobId)).toEqual({ cleanRows: 1, exceptionRows: 0 });
      expect(await db.deleteJobsOlderThan(new Date('2024-01-10T00:00:00.000Z'))).toEqual([]);
    });

    it('RetentionJob removes expired jobs with their upload, and keeps the rest', async () => {
      clock = new Date('2024-01-01T00:00:00.000Z');
      const expired = await finishedJob('completed');
      clock = new Date('2024-01-07T00:00:00.000Z');
      const kept = await finishedJob('completed');
      expect(await store.exists(expired.storageKey)).toBe(true);

      const job = new RetentionJob({ database: db, fileStore: store, maxAgeMs: 7 * DAY, now: () => new Date('2024-01-09T00:00:00.000Z') });
      const report = await job.runOnce();
      expect(report).toMatchObject({ deletedJobs: 1, removedFiles: 1, failedFiles: 0 });
      expect(await db.getFileRecordByJobId(expired.jobId)).toBeUndefined();
      expect(await store.exists(expired.storageKey)).toBe(false);
      expect(await db.getFileRecordByJobId(kept.jobId)).toBeDefined();
      expect(await store.exists(kept.storageKey)).toBe(true);
    });

    it('RetentionJob.start runs passes on its timer until stopped', async () => {
      clock = new Date('2024-01-01T00:00:00.000Z');
      const expired = await finishedJob('failed');
      let now = new Date('2024-01-02T00:00:00.000Z');
      const job = new RetentionJob({ database: db, fileStore: store, maxAgeMs: 7 * DAY, now: () => now });
      job.start(20);
      await job.stop();
      expect(await db.getFileRecordByJobId(expired.jobId)).toBeDefined();

      now = new Date('2024-02-01T00:00:00.000Z');
      job.start(20);
      await expect.poll(() => db.getFileRecordByJobId(expired.jobId), { timeout: 10_000 }).toBeUndefined();
      await job.stop();
      expect(await store.exists(expired.storageKey)).toBe(false);
    });
  });
});
