/**
 * `dcs api` and `dcs worker` on a real 3-master Redis Cluster with a password and TLS (self-signed
 * CA via REDIS_TLS_CA_FILE): uploads are queued and completed, the queue's keys live in the
 * `{prefix}` hash slot, and a client without the password is refused (so the password is used).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { RedisCluster } from '../support/redis-topology.js';
import { stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

const csv = (rows: number, seed: number) =>
  [
    '姓名,手机号,日期',
    ...Array.from(
      { length: rows },
      (_, i) => `用户${seed}-${i},138${String(10_000_000 + seed * 1000 + i).slice(-8)},2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
    ),
  ].join('\n');

describe('Redis Cluster (3 masters, password, TLS)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcs-cluster-stack-'));
  let cluster: RedisCluster;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let prefix: string;

  beforeAll(async () => {
    cluster = await RedisCluster.start({ tls: true });
    prefix = `c${process.pid}`;
    const env = stackEnv({ databaseUrl: `sqlite:${join(dataDir, 'db.sqlite')}`, dataDir, prefix, env: cluster.settings });
    api = await startApi(env);
    worker = await startWorker(env);
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('queues and completes uploads through the cluster, keys in one hash slot', async () => {
    const tasks = [];
    for (let seed = 1; seed <= 4; seed++) {
      const { status, body } = await upload<{ taskId: string }>(api.baseUrl, { name: `c${seed}.csv`, content: csv(200 * seed, seed) });
      expect(status).toBe(202);
      tasks.push({ taskId: body.taskId, rows: 200 * seed });
    }
    for (const { taskId, rows } of tasks) {
      const done = await waitForTask(api.baseUrl, taskId);
      expect(done.statistics?.totalRows).toBe(rows);
    }

    const config = loadConfig({ ...cluster.settings, REDIS_PREFIX: prefix });
    const client = createRedisConnection(config, 'blocking');
    try {
      expect(await client.exists(`{${prefix}}:data-cleaning:${tasks[0].taskId}`)).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it('refuses a client without the password', async () => {
    const config = loadConfig({ ...cluster.settings, REDIS_PASSWORD: '', REDIS_PREFIX: prefix });
    const client = createRedisConnection({ ...config, REDIS_RECONNECT_MAX_DELAY_MS: 100 }, 'blocking');
    try {
      // ioredis wraps the node's answer: "Failed to refresh slots cache" with lastNodeError.
      const err = await new Promise<Error & { lastNodeError?: Error }>((resolve) => client.once('error', resolve));
      expect(err.lastNodeError?.message ?? err.message).toMatch(/NOAUTH|WRONGPASS/);
    } finally {
      client.disconnect();
    }
  });
});
