/**
 * Issue 9: a cleaning thread that dies mid-file (here: it runs out of its PIPELINE_THREAD_MEMORY_MB
 * heap on a few enormous rows after thousands of ordinary ones) fails the attempt cleanly: the task
 * is retried (MAX_RETRIES), then ends `failed` with CLEANING_THREAD_CRASHED; none of the rows the
 * attempts had stored survive; the worker process lives on and completes the next task.
 */
import { appendFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { bigCsv, logLines, scratchDir, storedRows } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

describe('a cleaning thread that crashes mid-file (sqlite)', () => {
  const dir = scratchDir('thread-crash');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let file: string;

  beforeAll(async () => {
    [scratch, redis, file] = await Promise.all([createIsolatedDatabase('sqlite'), RedisServer.start(), bigCsv(dir.path, 20_000)]);
    // 60 rows of 400,000 characters after the ordinary ones: one batch of them is ~24 M characters.
    const huge = `,${'x'.repeat(400_000)},,\n`.repeat(60);
    await appendFile(file, huge);
    const env = stackEnv({
      databaseUrl: scratch.url,
      redisUrl: redis.url,
      dataDir: dir.path,
      env: { PIPELINE_THREAD_MEMORY_MB: '16', MAX_RETRIES: '1', RETRY_BACKOFF_MS: '100' },
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

  it('is retried, then fails with CLEANING_THREAD_CRASHED; no rows stored; the worker goes on', async () => {
    const crash = await upload<{ taskId: string }>(api.baseUrl, file);
    expect(crash.status).toBe(202);
    const ended = await waitForTask(api.baseUrl, crash.body.taskId, ['failed', 'completed', 'timeout', 'cancelled'], 120_000);
    expect(ended.status).toBe('failed');
    expect(ended.errorCode).toBe('CLEANING_THREAD_CRASHED');
    expect(ended.attempts).toBe(2);
    expect(await storedRows(scratch.url, crash.body.taskId)).toEqual({ clean: 0, exceptions: 0, distinctRows: 0 });
    expect(logLines(worker.logs, new RegExp(`"jobId":"${crash.body.taskId}".*task started`))).toHaveLength(2);

    const next = await upload<{ taskId: string }>(api.baseUrl, { name: 'next.csv', content: '姓名,手机号\n张三,13812345678\n' });
    const done = await waitForTask(api.baseUrl, next.body.taskId, ['completed', 'failed', 'timeout'], 30_000);
    expect(done.status).toBe('completed');
    expect(worker.exited).toBe(false);
  }, 180_000);
});
