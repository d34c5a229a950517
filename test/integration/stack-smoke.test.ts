import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, startWorker, stackEnv, upload, waitForTask, ROOT, type ApiProcess, type ServiceProcess } from '../support/stack.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('dcs api + dcs worker processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcs-smoke-'));
  let api: ApiProcess;
  let worker: ServiceProcess;

  beforeAll(async () => {
    const env = stackEnv({ databaseUrl: `sqlite:${join(dataDir, 'db.sqlite')}`, redisUrl, dataDir });
    api = await startApi(env);
    worker = await startWorker(env);
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers an upload at once with a pending task that a worker then completes', async () => {
    const { status, body } = await upload<{ taskId: string; jobId: string; status: string }>(
      api.baseUrl,
      join(ROOT, 'test/fixtures/parsing/xlsx/workbook.xlsx'),
    );
    expect(status).toBe(202);
    expect(body.status).toBe('pending');
    expect(body.taskId).toBe(body.jobId);
    const done = await waitForTask(api.baseUrl, body.taskId);
    expect(done.progress).toBe(100);
    expect(done.statistics).toMatchObject({ totalRows: 7, cleanedRows: 5, exceptionRows: 2 });
  });
});
