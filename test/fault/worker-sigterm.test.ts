/**
 * SPEC §6 / R3.6: SIGTERM a worker in the middle of a task. The worker stops taking work and
 * - with a long SHUTDOWN_GRACE_MS finishes the task itself, then exits 0;
 * - with a short one aborts the task at the next batch, hands it back to the queue (status
 *   pending, attempt token revoked) and exits 0; another worker then completes it.
 * Either way nothing is lost: the task completes with exact, duplicate-free row counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigCsv, logLines, waitForLogLines, storedRows, waitForProgress } from '../support/fault.js';
import { startStack, upload, waitForTask, type Stack } from '../support/stack.js';

const ROWS = 200_000;

describe('SIGTERM of a worker mid-task', () => {
  let stack: Stack;
  let file: string;

  beforeAll(async () => {
    const prepare = async (dir: string) => void (file = await bigCsv(dir, ROWS));
    stack = await startStack({ name: 'sigterm', database: 'postgres', workers: 0, prepare });
  }, 120_000);

  afterAll(() => stack?.stop());

  const worker = (env: Record<string, string>) => stack.startWorker(env);

  const expectExactRows = async (taskId: string, done: { statistics: { totalRows: number; cleanedRows: number; exceptionRows: number } | null }) => {
    expect(done.statistics?.totalRows).toBe(ROWS);
    const rows = await storedRows(stack.scratch.url, taskId);
    expect(rows).toEqual({ clean: done.statistics?.cleanedRows, exceptions: done.statistics?.exceptionRows, distinctRows: ROWS });
  };

  it('long grace: the worker finishes the task before it exits', async () => {
    const w = await worker({ SHUTDOWN_GRACE_MS: '120000' });
    const { body } = await upload<{ taskId: string }>(stack.api.baseUrl, file);
    const running = await waitForProgress(stack.api.baseUrl, body.taskId, 10, 120_000);
    const signalledAt = Date.now();
    w.child.kill('SIGTERM');
    expect(await w.waitExit(120_000)).toBe(0);
    const exitMs = Date.now() - signalledAt;

    // The worker exited only after completing: the task is already completed, in one attempt.
    const done = await waitForTask(stack.api.baseUrl, body.taskId, ['completed', 'failed', 'timeout', 'pending'], 5000);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(1);
    expect(logLines(w.logs, /worker stopped/)).toHaveLength(1);
    expect(logLines(w.logs, /handing the task back/)).toHaveLength(0);
    await expectExactRows(body.taskId, done);
    console.info(`[sigterm long grace] signalled at ${running.progress} %, worker finished the task and exited after ${exitMs} ms`);
  }, 240_000);

  it('short grace: the worker hands the task back and another worker completes it', async () => {
    const first = await worker({ SHUTDOWN_GRACE_MS: '500' });
    const { body } = await upload<{ taskId: string }>(stack.api.baseUrl, file);
    const running = await waitForProgress(stack.api.baseUrl, body.taskId, 10, 120_000);
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.waitExit(30_000)).toBe(0);
    const exitMs = Date.now() - signalledAt;
    expect(logLines(first.logs, /handing the task back/)).toHaveLength(1);

    // Handed back, not lost: waiting in the queue for the next worker.
    const between = await waitForTask(stack.api.baseUrl, body.taskId, ['pending', 'completed', 'failed'], 5000);
    expect(between.status).toBe('pending');

    const second = await worker({});
    const done = await waitForTask(stack.api.baseUrl, body.taskId, ['completed', 'failed', 'timeout'], 180_000);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.attempts).toBe(2);
    expect(await waitForLogLines(second.logs, new RegExp(`"jobId":"${body.taskId}".*task completed`))).toHaveLength(1);
    await expectExactRows(body.taskId, done);
    console.info(
      `[sigterm short grace] signalled at ${running.progress} %, worker exited after ${exitMs} ms, task completed by another worker in attempt ${done.attempts}`,
    );
  }, 240_000);
});
