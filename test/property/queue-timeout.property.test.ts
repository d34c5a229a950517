/**
 * 属性12 (SPEC R7.4/7.5): a task that runs longer than JOB_TIMEOUT_MS ends `timeout` with the
 * error stored, its partial rows removed and no automatic retry; a task within the limit
 * completes; either way the same worker (concurrency 1) then processes the task queued behind it.
 * Slowness is a Database test double that delays each batch write (the rows are still written,
 * so a timed-out task really has partial rows to remove). JOB_TIMEOUT_MS is forced below its
 * validated minimum (1 s) so 100 runs take seconds; the real-limit case with a `dcs worker`
 * process is in test/fault/task-timeout.test.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';

const JOB_TIMEOUT_MS = 300;
const BATCH_SIZE = 10;

describe('属性12: a task over the time limit ends as timeout and the worker goes on', () => {
  let h: Harness;
  let scripted: ScriptedDatabase;
  /** Upload file name → delay of each batch write (scripted before the upload). */
  const writeDelayMs = new Map<string, number>();
  const batchesWritten = new Map<string, number>();
  let uploads = 0;

  beforeAll(async () => {
    h = await startHarness({ tag: 'timeout', env: { WORKER_CONCURRENCY: '1', BATCH_SIZE: String(BATCH_SIZE) }, configOverrides: { JOB_TIMEOUT_MS } });
    scripted = new ScriptedDatabase(h.db);
    scripted.beforeInsert = async ({ jobId, fileName }) => {
      const delay = writeDelayMs.get(fileName) ?? 0;
      if (delay > 0) await sleep(delay);
      batchesWritten.set(jobId, (batchesWritten.get(jobId) ?? 0) + 1);
    };
    h.startConsumer({ db: scripted.db });
  });
  afterAll(async () => {
    await h?.close();
  });

  const ended = (taskId: string) =>
    waitFor(async () => {
      const r = await h.db.getFileRecordByJobId(taskId);
      return r && ['completed', 'failed', 'timeout', 'cancelled'].includes(r.status) ? r : undefined;
    }, `task ${taskId} to end`);

  it('times out exactly the tasks that run past the limit', async () => {
    const runArb = fc.oneof(
      // Well within the limit.
      fc.record({ slow: fc.constant(false), rows: fc.integer({ min: 1, max: 40 }), delayMs: fc.constant(0) }),
      // Far beyond it: at least 5 batches of at least 100 ms.
      fc.record({ slow: fc.constant(true), rows: fc.integer({ min: 5 * BATCH_SIZE, max: 8 * BATCH_SIZE }), delayMs: fc.integer({ min: 100, max: 150 }) }),
    );
    await fc.assert(
      fc.asyncProperty(runArb, async ({ slow, rows, delayMs }) => {
        const fileName = `timeout-${++uploads}.csv`;
        writeDelayMs.set(fileName, delayMs);
        const first = await h.uploadCsv(sampleCsv(rows), fileName);
        const next = await h.uploadCsv(sampleCsv(3));

        const record = await ended(first.taskId);
        if (slow) {
          expect(record).toMatchObject({ status: 'timeout', errorCode: 'PROCESSING_TIMEOUT', attempts: 1 });
          expect(record.errorMessage).toContain('超时');
          expect(record.completedAt).toBeInstanceOf(Date);
          expect(batchesWritten.get(first.taskId)).toBeGreaterThanOrEqual(1);
          // Not retried: the job is failed in BullMQ after its single attempt (the worker tells
          // BullMQ once the database has recorded the timeout and removed the rows).
          // State first, then the job: a job read just before BullMQ failed it would still show
          // attemptsMade 0 (BullMQ counts the attempt in the same step that moves it to failed).
          await waitFor(async () => (await (await h.queue.getJob(first.taskId))?.getState()) === 'failed', 'the timed-out job to be failed in BullMQ');
          const job = (await h.queue.getJob(first.taskId))!;
          expect(job.attemptsMade).toBe(1);
          expect(await h.db.countResults(first.taskId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
          expect(scripted.attemptsOf(first.taskId)).toHaveLength(1);
        } else {
          expect(record).toMatchObject({ status: 'completed', totalRows: rows });
        }

        const after = await ended(next.taskId);
        expect(after).toMatchObject({ status: 'completed', totalRows: 3, attempts: 1 });
      }),
      { numRuns: 100 },
    );
  });
});
