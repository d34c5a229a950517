/**
 * SPEC §8 hazard "files must be reachable by every worker": a worker whose DATA_DIR is not the
 * API's (a multi-host deployment without a shared file store) cannot find the stored upload. The
 * task must fail at once with FILE_NOT_FOUND visible in check-status — a clear operator error —
 * instead of staying pending or being retried forever, and the worker keeps running.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { scratchDir, waitForLogLines } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

describe('a worker that cannot see the uploaded file (no shared file store)', () => {
  const dir = scratchDir('no-share');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;

  beforeAll(async () => {
    [scratch, redis] = await Promise.all([createIsolatedDatabase('postgres'), RedisServer.start()]);
    for (const host of ['api-host', 'worker-host']) mkdirSync(join(dir.path, host));
    const env = stackEnv({ databaseUrl: scratch.url, redisUrl: redis.url, dataDir: join(dir.path, 'api-host') });
    api = await startApi(env);
    worker = await startWorker({ ...env, DATA_DIR: join(dir.path, 'worker-host') });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    await scratch?.drop();
    dir.remove();
  });

  it('fails the task with FILE_NOT_FOUND, once, and the worker goes on', async () => {
    const { body } = await upload<{ taskId: string }>(api.baseUrl, { name: 'a.csv', content: '姓名,手机号\n张三,13812345678\n' });
    const done = await waitForTask(api.baseUrl, body.taskId, ['failed', 'completed', 'timeout'], 20_000);
    expect(done.status).toBe('failed');
    expect(done.errorCode).toBe('FILE_NOT_FOUND');
    expect(done.errorMessage).toMatch(/文件/);
    const failures = await waitForLogLines(worker.logs, new RegExp(`"jobId":"${body.taskId}".*task failed`));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/file store shared by the API and every worker/);
    expect(worker.exited).toBe(false);
  });
});
