/**
 * SPEC §8 hazard "a CPU-bound processor can lose its job lock": BullMQ renews a job's lock from
 * the worker's event loop, so a processor that blocks the loop for longer than the lock duration
 * gets its job declared stalled and handed to another worker while still running. Here a 400k-row
 * file is cleaned (CPU-bound; SQLite writes are synchronous too) with LOCK_DURATION_MS=2000 and a
 * second idle worker ready to take over: the job must run longer than its lock (asserted from
 * BullMQ's own timestamps, so the hazard is really exercised), never be reported stalled, never be
 * started twice, and complete in one attempt.
 *
 * The control case shows those checks can fail, and covers the other half of the hazard: a worker
 * frozen (SIGSTOP) past its lock loses the job to the other worker; when it wakes up its writes
 * are refused (attempt token), so the rows are still stored exactly once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueEvents, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { bigCsv, logLines, waitForLogLines, scratchDir, storedRows, waitForProgress } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

const ROWS = 400_000;
const LOCK_MS = 2000;

describe('a CPU-bound task keeps its BullMQ lock (LOCK_DURATION_MS=2000)', () => {
  const dir = scratchDir('lock');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let api: ApiProcess;
  const workers: ServiceProcess[] = [];
  let file: string;
  let events: QueueEvents;
  let queue: Queue;
  const stalled: string[] = [];

  beforeAll(async () => {
    [scratch, redis, file] = await Promise.all([createIsolatedDatabase('sqlite'), RedisServer.start(), bigCsv(dir.path, ROWS)]);
    const env = stackEnv({
      databaseUrl: scratch.url,
      redisUrl: redis.url,
      dataDir: dir.path,
      env: { LOCK_DURATION_MS: String(LOCK_MS), STALLED_INTERVAL_MS: '1000' },
    });
    const connection = { host: '127.0.0.1', port: redis.port };
    events = new QueueEvents('data-cleaning', { connection, prefix: env.REDIS_PREFIX });
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    await events.waitUntilReady();
    queue = new Queue('data-cleaning', { connection, prefix: env.REDIS_PREFIX });
    api = await startApi(env);
    workers.push(await startWorker(env), await startWorker(env));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    await events?.close();
    await queue?.close();
    await redis?.stop();
    await scratch?.drop();
    dir.remove();
  });

  it('is never reported stalled nor processed twice', async () => {
    const { body } = await upload<{ taskId: string }>(api.baseUrl, file);
    const started = Date.now();
    const done = await waitForTask(api.baseUrl, body.taskId, ['completed', 'failed', 'timeout'], 240_000);
    const tookMs = Date.now() - started;
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.statistics?.totalRows).toBe(ROWS);

    expect(stalled).toEqual([]);
    expect(done.attempts).toBe(1);
    const starts = workers.flatMap((w) => logLines(w.logs, new RegExp(`"jobId":"${body.taskId}".*task started`)));
    expect(starts).toHaveLength(1);
    const job = await queue.getJob(body.taskId);
    expect(job?.stalledCounter).toBe(0);
    expect(job?.attemptsMade).toBe(1);
    // The hazard was really there: the job held its lock for longer than one lock duration.
    const heldMs = (job?.finishedOn ?? 0) - (job?.processedOn ?? Infinity);
    expect(heldMs).toBeGreaterThan(LOCK_MS);
    const rows = await storedRows(scratch.url, body.taskId);
    expect(rows.distinctRows).toBe(ROWS);
    expect(rows.clean + rows.exceptions).toBe(ROWS);
    console.info(`[lock-hazard] ${ROWS} rows in ${tookMs} ms (job held ${heldMs} ms) with a ${LOCK_MS} ms lock: 0 stalled events, 1 start, 1 attempt`);
  }, 300_000);

  it('control: a worker frozen past its lock loses the job; its late writes are refused', async () => {
    stalled.length = 0;
    const { body } = await upload<{ taskId: string }>(api.baseUrl, file);
    await waitForProgress(api.baseUrl, body.taskId, 5, 120_000);
    const frozen = workers.find((w) => logLines(w.logs, new RegExp(`"jobId":"${body.taskId}".*task started`)).length > 0)!;
    const other = workers.find((w) => w !== frozen)!;
    process.kill(frozen.pid, 'SIGSTOP');
    try {
      const deadline = Date.now() + 30_000;
      while (!logLines(other.logs, new RegExp(`"jobId":"${body.taskId}".*task started`)).length && Date.now() < deadline) await sleep(100);
    } finally {
      process.kill(frozen.pid, 'SIGCONT');
    }
    const done = await waitForTask(api.baseUrl, body.taskId, ['completed', 'failed', 'timeout'], 240_000);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(stalled).toContain(body.taskId);
    expect(done.attempts).toBe(2);
    expect(await waitForLogLines(other.logs, new RegExp(`"jobId":"${body.taskId}".*task completed`))).toHaveLength(1);
    await frozen.waitForLog(/superseded or cancelled/, 30_000);
    expect(logLines(frozen.logs, new RegExp(`"jobId":"${body.taskId}".*task completed`))).toHaveLength(0);
    expect(frozen.exited).toBe(false);
    if (process.env.SHOW_LOGS) console.info(frozen.logs.slice(-15).join('\n'));
    const rows = await storedRows(scratch.url, body.taskId);
    expect(rows).toEqual({ clean: done.statistics?.cleanedRows, exceptions: done.statistics?.exceptionRows, distinctRows: ROWS });
    console.info(
      `[lock-hazard control] frozen worker lost the job (stalled event seen), the other completed it in attempt 2; the stale attempt's writes were refused; rows exact`,
    );
  }, 300_000);
});
