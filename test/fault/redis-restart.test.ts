/**
 * SPEC §6 / R2.5, R7.1–7.2: queued tasks survive a Redis restart. 100 uploads are enqueued while no
 * worker runs; Redis (private server, AOF with appendfsync always) is then killed with SIGKILL — a
 * crash, not a clean shutdown — and started again on the same data; only then do workers start.
 * Every task completes exactly once: one attempt, one "task started" log line in all workers,
 * exact row counts. The API keeps running across the restart and reconnects by itself.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { bigCsv, logLines, scratchDir, storedRows } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { getJson, stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

const TASKS = 100;
const rowsOf = (i: number) => 5 + (i % 20);

describe('Redis restart (AOF) with 100 queued tasks', () => {
  const dir = scratchDir('redis-restart');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let api: ApiProcess;
  let env: Record<string, string>;
  const workers: ServiceProcess[] = [];
  let queue: Queue;

  beforeAll(async () => {
    [scratch, redis] = await Promise.all([createIsolatedDatabase('mysql'), RedisServer.start({ appendonly: true })]);
    env = stackEnv({ databaseUrl: scratch.url, redisUrl: redis.url, dataDir: dir.path });
    api = await startApi(env);
    queue = new Queue('data-cleaning', { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, prefix: env.REDIS_PREFIX });
    queue.on('error', () => undefined); // the test kills Redis under it
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    await queue?.close();
    await redis?.stop();
    await scratch?.drop();
    dir.remove();
  });

  it('every queued task completes exactly once after the restart', async () => {
    const tasks: { taskId: string; rows: number }[] = [];
    for (let start = 0; start < TASKS; start += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, async (_v, k) => {
          const i = start + k;
          const file = await bigCsv(dir.path, rowsOf(i), `task-${i}.csv`, 1000 + i);
          const res = await upload<{ taskId: string; message: string }>(api.baseUrl, file);
          expect(res.status).toBe(202);
          // Enqueued at upload (not left to the recovery manager): the queue is what must survive.
          expect(res.body.message).toBe('文件上传成功，开始处理');
          return { taskId: res.body.taskId, rows: rowsOf(i) };
        }),
      );
      tasks.push(...batch);
    }
    expect((await queue.getJobCounts('waiting')).waiting).toBe(TASKS);

    await redis.restart('SIGKILL');
    expect((await queue.getJobCounts('waiting')).waiting).toBe(TASKS);
    // The API reconnects by itself.
    const deadline = Date.now() + 30_000;
    while ((await getJson(`${api.baseUrl}/health/ready`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('API not ready again after the Redis restart');
      await new Promise((r) => setTimeout(r, 200));
    }

    const startedAt = Date.now();
    workers.push(await startWorker(env), await startWorker(env));
    const results = await Promise.all(tasks.map((t) => waitForTask(api.baseUrl, t.taskId, ['completed', 'failed', 'timeout'], 120_000)));
    const drainMs = Date.now() - startedAt;

    for (const [i, done] of results.entries()) {
      expect(done.status, `${done.taskId}: ${done.errorMessage}`).toBe('completed');
      expect(done.attempts).toBe(1);
      expect(done.statistics?.totalRows).toBe(tasks[i].rows);
    }
    const starts = workers.flatMap((w) => logLines(w.logs, /task started/));
    expect(starts).toHaveLength(TASKS);
    for (const t of tasks) expect(starts.filter((l) => l.includes(t.taskId))).toHaveLength(1);

    for (const t of tasks) {
      const rows = await storedRows(scratch.url, t.taskId);
      expect(rows.clean + rows.exceptions).toBe(t.rows);
      expect(rows.distinctRows).toBe(t.rows);
    }
    // A worker marks its BullMQ job completed just after the database record: poll for the last one.
    await expect
      .poll(() => queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed'), { timeout: 10_000 })
      .toMatchObject({ waiting: 0, active: 0, completed: TASKS, failed: 0, delayed: 0 });
    console.info(`[redis-restart] ${TASKS} tasks survived a SIGKILL restart of Redis; 2 workers completed them in ${drainMs} ms, each exactly once`);
  }, 300_000);
});
