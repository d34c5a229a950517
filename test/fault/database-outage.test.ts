/**
 * SPEC §6 / R8.2–8.5: the database is unavailable for 10 s while a large file is being processed.
 * The API and the worker reach the database through a TCP proxy that the test cuts (open
 * connections reset, new ones refused) and restores. The task rides out the outage — its failed
 * batch writes are retried with backoff — and completes with exact, duplicate-free row counts. A
 * second worker picks up another task during the outage (it cannot even read the task's record):
 * that task is retried and completes too. Meanwhile the API answers check-status with 200 or a
 * clear 503 DATABASE_UNAVAILABLE, never a hang. (SQLite is a file, not a server: it cannot be made
 * unavailable this way; see docs/OPERATIONS.md.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { bigCsv, logLines, scratchDir, storedRows, waitForProgress } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { getJson, stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const ROWS = 150_000;
const OUTAGE_MS = 10_000;

describe.each(['postgres', 'mysql'] as const)('database unavailable for 10 s during processing (%s)', (kind) => {
  const dir = scratchDir('db-outage');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let proxy: TcpProxy;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let env: Record<string, string>;
  let file: string;
  let queue: Queue;
  const extra: ServiceProcess[] = [];

  beforeAll(async () => {
    [scratch, redis, file] = await Promise.all([createIsolatedDatabase(kind), RedisServer.start(), bigCsv(dir.path, ROWS)]);
    const server = new URL(scratch.url);
    proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || (kind === 'postgres' ? 5432 : 3306)) });
    env = stackEnv({ databaseUrl: proxy.rewrite(scratch.url), redisUrl: redis.url, dataDir: dir.path });
    api = await startApi(env);
    worker = await startWorker(env);
    queue = new Queue('data-cleaning', { connection: { host: '127.0.0.1', port: redis.port }, prefix: env.REDIS_PREFIX });
  }, 120_000);

  afterAll(async () => {
    await proxy?.restore();
    await queue?.close();
    await Promise.all(extra.map((w) => w.stop()));
    await worker?.stop();
    await api?.stop();
    await proxy?.close();
    await redis?.stop();
    await scratch?.drop();
    dir.remove();
  });

  it('the running task and one started during the outage complete with exact row counts', async () => {
    const big = await upload<{ taskId: string }>(api.baseUrl, file);
    expect(big.status).toBe(202);
    const atCut = await waitForProgress(api.baseUrl, big.body.taskId, 10, 120_000);

    // Hold the next task in the queue until the database is gone, then let an idle worker take it.
    await queue.pause();
    const small = await upload<{ taskId: string }>(api.baseUrl, { name: 'small.csv', content: '姓名,手机号\n张三,13812345678\n李四,123\n' });
    expect(small.status).toBe(202);
    const second = await startWorker(env);
    extra.push(second);

    await proxy.cut();
    const cutAt = Date.now();
    await queue.resume();
    const answers: number[] = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      const res = await getJson<{ errorCode?: string; status?: string }>(`${api.baseUrl}/api/data-cleaning/check-status/${big.body.taskId}`);
      if (res.status !== 200) expect(res.body.errorCode).toBe('DATABASE_UNAVAILABLE');
      answers.push(res.status);
      await sleep(250);
    }
    await proxy.restore();
    const restoredAt = Date.now();

    const done = await waitForTask(api.baseUrl, big.body.taskId, ['completed', 'failed', 'timeout', 'cancelled'], 180_000);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
    // It was still running when the database came back: the outage hit it in the middle.
    expect(Date.parse(String(done.completedAt))).toBeGreaterThan(restoredAt - 1000);
    expect(done.statistics?.totalRows).toBe(ROWS);
    const rows = await storedRows(scratch.url, big.body.taskId);
    expect(rows).toEqual({ clean: done.statistics?.cleanedRows, exceptions: done.statistics?.exceptionRows, distinctRows: ROWS });

    const late = await waitForTask(api.baseUrl, small.body.taskId, ['completed', 'failed', 'timeout', 'cancelled'], 60_000);
    expect(late.status, `${late.errorCode}: ${late.errorMessage}`).toBe('completed');
    expect(late.statistics).toMatchObject({ totalRows: 2, cleanedRows: 1, exceptionRows: 1 });
    expect(await storedRows(scratch.url, small.body.taskId)).toEqual({ clean: 1, exceptions: 1, distinctRows: 2 });

    // Both workers noticed the outage and stayed up; the API is ready again.
    const writeRetries = logLines(worker.logs, /database write failed, retrying the batch/);
    expect(writeRetries.length).toBeGreaterThan(0);
    const startRetries = logLines(second.logs, new RegExp(`"jobId":"${small.body.taskId}".*cannot read the task record`));
    expect(startRetries.length).toBeGreaterThan(0);
    expect(worker.exited || second.exited || api.exited).toBe(false);
    expect(answers.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect((await getJson(`${api.baseUrl}/health/ready`)).status).toBe(200);
    console.info(
      `[db-outage ${kind}] cut at ${atCut.progress} % for ${OUTAGE_MS} ms; big task completed ${Date.now() - restoredAt} ms after the restore ` +
        `in ${done.attempts} attempt(s) with ${writeRetries.length} batch retries; task started during the outage retried ${startRetries.length}× before the database was back, then completed; ` +
        `check-status during the outage: ${answers.filter((s) => s === 200).length}×200, ${answers.filter((s) => s === 503).length}×503; rows ${rows.clean}+${rows.exceptions}`,
    );
  }, 300_000);

  it('a worker started while the database is down waits for it, then works', async () => {
    await proxy.cut();
    const starting = startWorker(env);
    let started: ServiceProcess | undefined;
    void starting.then((w) => (started = w)).catch(() => undefined);
    await sleep(5000);
    expect(started, 'the worker must not be ready without its database').toBeUndefined();
    await proxy.restore();
    const late = await starting;
    extra.push(late);
    expect(logLines(late.logs, /database unavailable at start; waiting for it/).length).toBeGreaterThan(0);
    const { body } = await upload<{ taskId: string }>(api.baseUrl, { name: 'after.csv', content: '姓名,手机号\n张三,13812345678\n' });
    expect((await waitForTask(api.baseUrl, body.taskId, ['completed', 'failed'], 30_000)).status).toBe('completed');
    expect(late.exited).toBe(false);
  }, 120_000);
});
