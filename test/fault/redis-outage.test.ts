/**
 * SPEC §6 / R2.6, R8.1: Redis unavailable for 10 s while uploads keep coming (one every ~100 ms).
 * No upload is lost: each one is either refused with 503 QUEUE_UNAVAILABLE or accepted with a
 * task id, and every accepted task completes (uploads accepted during the outage are recorded in
 * the database and enqueued by the RecoveryManager once Redis is back). The API and the workers are
 * never restarted: they reconnect by themselves.
 *
 * Second case: a large task is running when Redis goes away for 10 s (twice the 5 s lock). The
 * worker keeps writing rows meanwhile; when Redis is back the job's lock has expired, so the task
 * may be taken over by a new attempt — either way it completes once, with its rows stored exactly
 * once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigCsv, isAlive, logLines, storedRows, waitForProgress } from '../support/fault.js';
import { getJson, startStack, upload, waitForTask, type Stack } from '../support/stack.js';

const OUTAGE_MS = 10_000;
const BEFORE_MS = 2000;
const AFTER_MS = 3000;
const UPLOAD_EVERY_MS = 100;
const ROWS = 10;
const BIG_ROWS = 200_000;
const CSV = `姓名,手机号,出生日期,地址\n${Array.from({ length: ROWS }, (_v, i) => `用户${i},1381234${String(5000 + i)},1990-05-17,江苏省南京市玄武区中山路${i}号`).join('\n')}\n`;

interface Outcome {
  at: number;
  phase: 'before' | 'outage' | 'after';
  status: number;
  taskId?: string;
  errorCode?: string;
  ms: number;
}

describe('Redis unavailable for 10 s during uploads', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'redis-outage', redis: { appendonly: true }, workers: 2 });
  }, 120_000);

  afterAll(() => stack?.stop());

  it('every upload is refused with QUEUE_UNAVAILABLE or accepted and later completed; services recover alone', async () => {
    const pids = [stack.api.pid, ...stack.workers.map((w) => w.pid)];
    let phase: Outcome['phase'] = 'before';
    const outcomes: Outcome[] = [];
    const inFlight: Promise<void>[] = [];
    const t0 = Date.now();

    const uploadOnce = async () => {
      const started = Date.now();
      const during = phase;
      const res = await upload<{ taskId?: string; errorCode?: string }>(stack.api.baseUrl, { name: `tick-${started}.csv`, content: CSV });
      outcomes.push({ at: started - t0, phase: during, status: res.status, taskId: res.body.taskId, errorCode: res.body.errorCode, ms: Date.now() - started });
    };
    const ticker = setInterval(() => inFlight.push(uploadOnce()), UPLOAD_EVERY_MS);
    try {
      await sleep(BEFORE_MS);
      phase = 'outage';
      await stack.redis.halt('SIGKILL');
      await sleep(OUTAGE_MS);
      await stack.redis.resume();
      phase = 'after';
      await sleep(AFTER_MS);
    } finally {
      clearInterval(ticker);
    }
    // A failed fetch (connection refused/reset by the API) rejects here and fails the test.
    await Promise.all(inFlight);

    const accepted = outcomes.filter((o) => o.status === 202);
    const refused = outcomes.filter((o) => o.status !== 202);
    for (const o of refused) expect(o, 'only QUEUE_UNAVAILABLE may refuse an upload').toMatchObject({ status: 503, errorCode: 'QUEUE_UNAVAILABLE' });
    for (const o of accepted) expect(o.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcomes.filter((o) => o.phase === 'outage').length).toBeGreaterThanOrEqual(50);

    // Refused uploads left nothing behind that would run unseen; accepted ones are all recorded.
    const files = await getJson<{ total: number }>(`${stack.api.baseUrl}/api/data-cleaning/files?pageSize=1`);
    expect(files.body.total).toBe(accepted.length);

    const results = await Promise.all(accepted.map((o) => waitForTask(stack.api.baseUrl, o.taskId!, ['completed', 'failed', 'timeout', 'cancelled'], 90_000)));
    for (const done of results) {
      expect(done.status, `${done.taskId}: ${done.errorMessage}`).toBe('completed');
      expect(done.statistics?.totalRows).toBe(ROWS);
      const rows = await storedRows(stack.scratch.url, done.taskId);
      expect(rows).toEqual({ clean: done.statistics?.cleanedRows, exceptions: done.statistics?.exceptionRows, distinctRows: ROWS });
    }

    // Nobody was restarted: same processes, alive and ready.
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    expect(stack.api.exited || stack.workers.some((w) => w.exited)).toBe(false);
    expect((await getJson(`${stack.api.baseUrl}/health/ready`)).status).toBe(200);
    // And the workers really consume again: a fresh upload completes.
    const fresh = await upload<{ taskId: string }>(stack.api.baseUrl, { name: 'after.csv', content: CSV });
    expect((await waitForTask(stack.api.baseUrl, fresh.body.taskId, ['completed'], 30_000)).status).toBe('completed');

    const byPhase = (p: Outcome['phase']) => outcomes.filter((o) => o.phase === p);
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    console.info(
      `[redis-outage] uploads before/outage/after: ${byPhase('before').length}/${byPhase('outage').length}/${byPhase('after').length}; ` +
        `accepted ${accepted.length}, refused (503) ${refused.length}, all accepted completed; slowest upload ${slowest} ms`,
    );
  }, 240_000);

  it('a task running through the outage completes, its rows exactly once', async () => {
    const file = await bigCsv(stack.dir, BIG_ROWS);
    const { body } = await upload<{ taskId: string }>(stack.api.baseUrl, file);
    const atHalt = await waitForProgress(stack.api.baseUrl, body.taskId, 10, 120_000);
    await stack.redis.halt('SIGKILL');
    await sleep(OUTAGE_MS);
    await stack.redis.resume();
    const resumedAt = Date.now();
    const done = await waitForTask(stack.api.baseUrl, body.taskId, ['completed', 'failed', 'timeout', 'cancelled'], 180_000);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
    expect(done.statistics?.totalRows).toBe(BIG_ROWS);
    const rows = await storedRows(stack.scratch.url, body.taskId);
    expect(rows).toEqual({ clean: done.statistics?.cleanedRows, exceptions: done.statistics?.exceptionRows, distinctRows: BIG_ROWS });
    expect(stack.api.exited || stack.workers.some((w) => w.exited)).toBe(false);
    // The database may say completed while the worker still waits for Redis to report it; then the
    // lock (5 s) has expired and BullMQ may deliver the job again — that delivery must do nothing.
    const completedLog = new RegExp(`"jobId":"${body.taskId}".*task completed`);
    const deadline = Date.now() + 60_000;
    while (!stack.workers.some((w) => logLines(w.logs, completedLog).length > 0) && Date.now() < deadline) await sleep(100);
    await sleep(3000); // a redelivery after the stalled check (every 2 s) would show by now
    expect(stack.workers.flatMap((w) => logLines(w.logs, completedLog))).toHaveLength(1);
    const redelivered = stack.workers.flatMap((w) => logLines(w.logs, new RegExp(`"jobId":"${body.taskId}".*already in a final state`))).length;
    console.info(
      `[redis-outage, running task] Redis down 10 s at ${atHalt.progress} %; database said completed ${Date.now() - resumedAt} ms after Redis returned, ` +
        `${done.attempts} attempt(s), ${redelivered} redelivery skipped; rows exact`,
    );
  }, 300_000);
});
