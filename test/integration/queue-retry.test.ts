/**
 * SPEC R8 with real timing and a real permanent error: a task whose attempts keep failing with
 * ECONNRESET is attempted MAX_RETRIES + 1 times, the retries spaced 1×, 2×, 4× RETRY_BACKOFF_MS
 * (lower bound exact, upper bound tolerant: the machine is shared); a corrupted upload fails after
 * exactly one attempt with its reason stored; a task that recovers keeps exact row counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codedError, sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';

const BACKOFF_MS = 300;
const MAX_RETRIES = 3;
/** Scheduling slack allowed above the backoff (BullMQ promotion, a busy 2-core machine). */
const SLACK_MS = 1500;

describe('retries with exponential backoff (real worker, real Redis)', () => {
  let h: Harness;
  let scripted: ScriptedDatabase;
  /** Upload file name → how many attempts fail (scripted before the upload, which a worker may start at once). */
  const failures = new Map<string, number>();

  beforeAll(async () => {
    h = await startHarness({ tag: 'retryi', env: { MAX_RETRIES: String(MAX_RETRIES), RETRY_BACKOFF_MS: String(BACKOFF_MS) } });
    scripted = new ScriptedDatabase(h.db);
    scripted.afterStart = ({ fileName, attempt }) => {
      if (attempt <= (failures.get(fileName) ?? 0)) throw codedError('ECONNRESET', 'read ECONNRESET');
    };
    h.startConsumer({ db: scripted.db });
  });
  afterAll(async () => {
    await h?.close();
  });

  const ended = (taskId: string) =>
    waitFor(
      async () => {
        const r = await h.db.getFileRecordByJobId(taskId);
        return r && ['completed', 'failed', 'timeout', 'cancelled'].includes(r.status) ? r : undefined;
      },
      `task ${taskId} to end`,
      30_000,
    );

  it('attempts a task that keeps failing MAX_RETRIES + 1 times, 1×, 2×, 4× the backoff apart, then fails it', async () => {
    failures.set('always-failing.csv', Infinity);
    const { taskId } = await h.uploadCsv(sampleCsv(5), 'always-failing.csv');
    const record = await ended(taskId);
    await waitFor(async () => (await (await h.queue.getJob(taskId))?.getState()) === 'failed', 'the job to be failed in BullMQ');

    expect(record).toMatchObject({ status: 'failed', errorCode: 'ECONNRESET', attempts: MAX_RETRIES + 1 });
    const attempts = scripted.attemptsOf(taskId);
    expect(attempts).toHaveLength(MAX_RETRIES + 1);
    const job = await h.queue.getJob(taskId);
    expect(job?.attemptsMade).toBe(MAX_RETRIES + 1);

    const waits = attempts.slice(1).map((a, i) => a.startedAt - attempts[i].failedAt!);
    const expected = [1, 2, 4].map((k) => k * BACKOFF_MS);
    console.info(`retry waits (ms): ${waits.join(', ')}; backoff: ${expected.join(', ')}`);
    for (const [i, waited] of waits.entries()) {
      expect(waited).toBeGreaterThanOrEqual(expected[i]);
      expect(waited).toBeLessThan(expected[i] + SLACK_MS);
    }
  });

  it('completes a task that recovers on its third attempt, with exact row counts', async () => {
    failures.set('recovers.csv', 2);
    const { taskId } = await h.uploadCsv(sampleCsv(40), 'recovers.csv');
    const record = await ended(taskId);
    expect(record).toMatchObject({ status: 'completed', attempts: 3, totalRows: 40, errorCode: null, errorMessage: null });
    expect(scripted.attemptsOf(taskId)).toHaveLength(3);
    expect(await h.db.countResults(taskId)).toEqual({ cleanRows: record.cleanedRows, exceptionRows: record.exceptionRows });
  });

  it('fails a corrupted upload after exactly one attempt, with the reason stored', async () => {
    const { taskId } = await h.uploadCsv('姓名,手机号,出生日期\n李四,"13912345678,1985-03-02\n', 'broken.csv');
    const record = await ended(taskId);
    await waitFor(async () => (await (await h.queue.getJob(taskId))?.getState()) === 'failed', 'the job to be failed in BullMQ');
    expect(record).toMatchObject({ status: 'failed', errorCode: 'CORRUPTED_FILE', attempts: 1 });
    expect(record.errorMessage).toBeTruthy();
    expect(scripted.attemptsOf(taskId)).toHaveLength(1);
    expect((await h.queue.getJob(taskId))?.attemptsMade).toBe(1);
    expect(await h.db.countResults(taskId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
  });
});
