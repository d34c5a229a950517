/**
 * `dcs api` and `dcs worker` on a real Sentinel set-up (master + replica + 3 sentinels, passwords
 * on the data nodes and on the sentinels, TLS everywhere with a self-signed CA): the master is
 * SIGKILLed while tasks are being processed and more are uploaded; the sentinels promote the
 * replica, the processes follow it, and every task completes with exactly its rows — nothing lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelSet } from '../support/redis-topology.js';
import { getJson, stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

const csv = (rows: number, seed: number) =>
  [
    '姓名,手机号,日期',
    ...Array.from(
      { length: rows },
      (_, i) => `用户${seed}-${i},139${String(10_000_000 + seed * 10_000 + i).slice(-8)},2024-02-${String((i % 28) + 1).padStart(2, '0')}`,
    ),
  ].join('\n');

describe('Redis Sentinel (password, TLS) with a master failover during processing', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcs-sentinel-stack-'));
  let ha: SentinelSet;
  let api: ApiProcess;
  let workers: ServiceProcess[] = [];

  beforeAll(async () => {
    ha = await SentinelSet.start({ tls: true });
    const env = stackEnv({ databaseUrl: `sqlite:${join(dataDir, 'db.sqlite')}`, dataDir, env: { ...ha.settings, MAX_RETRIES: '10' } });
    api = await startApi(env);
    workers = [await startWorker(env), await startWorker(env)];
  }, 90_000);

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await api?.stop();
    await ha?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes every task exactly once across the failover', async () => {
    const tasks: { taskId: string; rows: number }[] = [];
    const send = async (seed: number) => {
      const rows = 15_000 + seed * 100;
      const { status, body } = await upload<{ taskId: string }>(api.baseUrl, { name: `s${seed}.csv`, content: csv(rows, seed) });
      expect(status).toBe(202);
      tasks.push({ taskId: body.taskId, rows });
    };
    for (let seed = 1; seed <= 10; seed++) await send(seed);
    await waitForTask(api.baseUrl, tasks[0].taskId, ['processing', 'completed'], 30_000);

    const statuses = await Promise.all(
      tasks.map(async (t) => (await getJson<{ status: string }>(`${api.baseUrl}/api/data-cleaning/check-status/${t.taskId}`)).body.status),
    );
    // The failover must hit work in progress, or the test proves nothing.
    expect(statuses.filter((s) => s !== 'completed').length).toBeGreaterThan(2);
    const { from, to } = await ha.killMaster();
    expect(to).not.toBe(from);
    // Uploads right after the failover: accepted, and enqueued once Redis answers again.
    for (let seed = 11; seed <= 13; seed++) await send(seed);

    for (const { taskId, rows } of tasks) {
      const done = await waitForTask(api.baseUrl, taskId, ['completed'], 90_000);
      expect(done.statistics?.totalRows, taskId).toBe(rows);
      expect((done.statistics?.cleanedRows ?? 0) + (done.statistics?.exceptionRows ?? 0), taskId).toBe(rows);
    }
    // The stored rows are exact too (not only the counters): clean + exception rows in the database.
    for (const { taskId, rows } of tasks) {
      const clean = await getJson<{ total: number }>(`${api.baseUrl}/api/data-cleaning/data/clean/${taskId}?page=1&pageSize=1`);
      const exceptions = await getJson<{ total: number }>(`${api.baseUrl}/api/data-cleaning/data/exceptions/${taskId}?page=1&pageSize=1`);
      expect(clean.body.total + exceptions.body.total, taskId).toBe(rows);
    }
    expect(workers.every((w) => !w.exited)).toBe(true);
    expect(workers.some((w) => w.logs.some((l) => l.includes('redis connection lost')))).toBe(true);
  });
});
