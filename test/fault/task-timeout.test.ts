/**
 * SPEC §6 / R7.4–7.5: a task that runs past JOB_TIMEOUT_MS is aborted and ends `timeout` with the
 * error stored and none of its partial rows left in the database; it is not retried; the worker
 * goes on with the next task, which completes.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { bigCsv, logLines, scratchDir, storedRows } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { writeGiantSharedStringXlsx } from '../support/slow-files.js';
import { getJson, stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

// Far more than can be processed within the limit even at the SPEC's 100,000+ rows/s.
const ROWS = 500_000;
const TIMEOUT_MS = 2000;

describe.each(['sqlite', 'postgres'] as const)('task over the time limit (%s)', (kind) => {
  const dir = scratchDir('timeout');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let file: string;

  beforeAll(async () => {
    [scratch, redis, file] = await Promise.all([createIsolatedDatabase(kind), RedisServer.start(), bigCsv(dir.path, ROWS)]);
    const env = stackEnv({ databaseUrl: scratch.url, redisUrl: redis.url, dataDir: dir.path, env: { JOB_TIMEOUT_MS: String(TIMEOUT_MS) } });
    api = await startApi(env);
    worker = await startWorker(env);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    await scratch?.drop();
    dir.remove();
  });

  it('ends `timeout` with the error stored and no rows; the next task completes', async () => {
    const big = await upload<{ taskId: string }>(api.baseUrl, file);
    const next = await upload<{ taskId: string }>(api.baseUrl, { name: 'next.csv', content: '姓名,手机号\n张三,13812345678\n' });
    expect([big.status, next.status]).toEqual([202, 202]);
    // Rows were being stored before the limit struck (so "no rows left" below means they were removed).
    let partial = await storedRows(scratch.url, big.body.taskId);
    while (partial.clean + partial.exceptions === 0) {
      const view = await waitForTask(api.baseUrl, big.body.taskId, ['processing', 'timeout', 'completed', 'failed'], 30_000);
      if (view.status !== 'processing') throw new Error(`the task ended (${view.status}) before any row was stored`);
      await sleep(20);
      partial = await storedRows(scratch.url, big.body.taskId);
    }

    const timedOut = await waitForTask(api.baseUrl, big.body.taskId, ['timeout', 'completed', 'failed', 'cancelled'], 60_000);
    expect(timedOut.status).toBe('timeout');
    expect(timedOut.errorCode).toBe('PROCESSING_TIMEOUT');
    expect(timedOut.errorMessage).toMatch(/超时/);
    expect(timedOut.completedAt).not.toBeNull();
    expect(timedOut.attempts).toBe(1);
    // (The limit counts from when the worker took the job, a little before the record's startedAt.)
    const elapsed = Date.parse(String(timedOut.completedAt)) - Date.parse(String(timedOut.startedAt));
    // The partial rows are deleted (in chunks) right after the status change; wait for that, bounded.
    const deadline = Date.now() + 15_000;
    let left = await storedRows(scratch.url, big.body.taskId);
    while (left.clean + left.exceptions > 0 && Date.now() < deadline) {
      await sleep(100);
      left = await storedRows(scratch.url, big.body.taskId);
    }
    expect(left).toEqual({ clean: 0, exceptions: 0, distinctRows: 0 });

    const done = await waitForTask(api.baseUrl, next.body.taskId, ['completed', 'failed', 'timeout'], 30_000);
    expect(done.status).toBe('completed');
    expect(done.statistics).toMatchObject({ totalRows: 1, cleanedRows: 1 });
    expect(worker.exited).toBe(false);
    // Metrics count it as a timeout, not a failure (the API reads the outcome from the database).
    const deadline2 = Date.now() + 10_000;
    let metrics = '';
    while (Date.now() < deadline2 && !/dcs_tasks_finished_total\{outcome="completed"\} 1\b/.test(metrics)) {
      metrics = (await getJson<string>(`${api.baseUrl}/metrics`)).body;
      await sleep(200);
    }
    expect(metrics).toMatch(/dcs_tasks_finished_total\{outcome="timeout"\} 1\b/);
    expect(metrics).toMatch(/dcs_tasks_finished_total\{outcome="failed"\} 0\b/);
    expect(metrics).toMatch(/dcs_tasks_finished_total\{outcome="completed"\} 1\b/);
    // Not retried: the worker started the timed-out task exactly once.
    expect(logLines(worker.logs, new RegExp(`"jobId":"${big.body.taskId}".*task started`))).toHaveLength(1);
    console.info(
      `[timeout ${kind}] limit ${TIMEOUT_MS} ms: task ended timeout after ${elapsed} ms (startedAt → completedAt); ≥ ${partial.clean + partial.exceptions} partial rows had been stored, 0 left; next task completed`,
    );
  }, 120_000);
});

/**
 * Issue 10: CPU-bound parsing/cleaning must not starve the timeout. Every cell of this 1.4 MB
 * xlsx holds the same 999,000-character shared string (type detection and cleaning alone would
 * take many minutes); the cleaning thread is terminated at the deadline and the task ends
 * `timeout` within 10 s of it, while the worker's main loop stays free (the next task completes).
 */
describe('a pathological xlsx over the time limit (sqlite)', () => {
  const LIMIT_MS = 3000;
  const dir = scratchDir('timeout-giant');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let file: string;

  beforeAll(async () => {
    [scratch, redis, file] = await Promise.all([
      createIsolatedDatabase('sqlite'),
      RedisServer.start(),
      writeGiantSharedStringXlsx(join(dir.path, 'giant.xlsx'), { rows: 5000, columns: 100 }),
    ]);
    // The row caps (MAX_LINE_LENGTH, MAX_BATCH_BYTES) would reject this file within a second; raised
    // here, it stands for whatever CPU-bound input the caps let through.
    const env = stackEnv({
      databaseUrl: scratch.url,
      redisUrl: redis.url,
      dataDir: dir.path,
      env: { JOB_TIMEOUT_MS: String(LIMIT_MS), MAX_LINE_LENGTH: '1000000000', MAX_BATCH_BYTES: '1000000000000' },
    });
    api = await startApi(env);
    worker = await startWorker(env);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    await scratch?.drop();
    dir.remove();
  });

  it('ends `timeout` within 10 s of its deadline; the worker goes on with the next task', async () => {
    const giant = await upload<{ taskId: string }>(api.baseUrl, file);
    const next = await upload<{ taskId: string }>(api.baseUrl, { name: 'next.csv', content: '姓名,手机号\n张三,13812345678\n' });
    expect([giant.status, next.status]).toEqual([202, 202]);
    const ended = await waitForTask(api.baseUrl, giant.body.taskId, ['timeout', 'completed', 'failed', 'cancelled'], LIMIT_MS + 60_000);
    expect(ended.status, ended.errorMessage ?? '').toBe('timeout');
    expect(ended.errorCode).toBe('PROCESSING_TIMEOUT');
    // The limit counts from when the worker took the job, a little before the record's startedAt.
    const elapsed = Date.parse(String(ended.completedAt)) - Date.parse(String(ended.startedAt));
    expect(elapsed).toBeLessThan(LIMIT_MS + 10_000);
    expect(await storedRows(scratch.url, giant.body.taskId)).toEqual({ clean: 0, exceptions: 0, distinctRows: 0 });
    const done = await waitForTask(api.baseUrl, next.body.taskId, ['completed', 'failed', 'timeout'], 30_000);
    expect(done.status).toBe('completed');
    expect(worker.exited).toBe(false);
    console.info(`[timeout giant xlsx] limit ${LIMIT_MS} ms: task ended timeout after ${elapsed} ms (startedAt → completedAt); next task completed`);
  }, 120_000);
});
