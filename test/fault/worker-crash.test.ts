/**
 * SPEC §6 / R3.7: kill -9 a worker in the middle of a large file. Another worker takes the task
 * over (BullMQ stalled-job detection after LOCK_DURATION_MS), starts a new attempt (the database
 * refuses the dead attempt's token and removes its rows) and completes it; the database then holds
 * exactly totalRows rows, each (sheet, row) once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigCsv, logLines, waitForLogLines, storedRows, waitForProgress } from '../support/fault.js';
import { startStack, upload, waitForTask, type Stack } from '../support/stack.js';

const ROWS = 300_000;

describe.each(['postgres', 'sqlite'] as const)('kill -9 of a worker mid-task (%s)', (kind) => {
  let stack: Stack;
  let file: string;

  beforeAll(async () => {
    const prepare = async (dir: string) => void (file = await bigCsv(dir, ROWS));
    stack = await startStack({ name: 'crash', database: kind, workers: 2, prepare });
  }, 120_000);

  afterAll(() => stack?.stop());

  it('another worker finishes the task; row counts exact, no duplicates, attempts ≥ 2', async () => {
    const { status, body } = await upload<{ taskId: string }>(stack.api.baseUrl, file);
    expect(status).toBe(202);
    const taskId = body.taskId;

    const running = await waitForProgress(stack.api.baseUrl, taskId, 10, 120_000);
    const victim = stack.workers.find((w) => logLines(w.logs, new RegExp(`"jobId":"${taskId}".*task started`)).length > 0);
    expect(victim, 'one worker logged the task start').toBeDefined();
    const survivor = stack.workers.find((w) => w !== victim)!;
    await victim!.kill();
    const killedAt = Date.now();

    const done = await waitForTask(stack.api.baseUrl, taskId, ['completed', 'failed', 'timeout'], 180_000);
    const takeoverMs = Date.now() - killedAt;
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(done.statistics?.totalRows).toBe(ROWS);
    expect(await waitForLogLines(survivor.logs, new RegExp(`"jobId":"${taskId}".*task completed`))).toHaveLength(1);

    const rows = await storedRows(stack.scratch.url, taskId);
    expect(rows.clean + rows.exceptions).toBe(ROWS);
    expect(rows.clean).toBe(done.statistics?.cleanedRows);
    expect(rows.exceptions).toBe(done.statistics?.exceptionRows);
    expect(rows.distinctRows).toBe(ROWS);
    console.info(
      `[worker-crash ${kind}] killed at ${running.progress} %, completed ${takeoverMs} ms later, attempts ${done.attempts}, rows ${rows.clean}+${rows.exceptions}`,
    );
  }, 300_000);
});
