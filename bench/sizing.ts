/**
 * Sizing figures for docs/DEPLOYMENT.md ("Many hosts → sizing"):
 *   1. Redis memory per queued task — SIZING_QUEUED tasks enqueued through the product's
 *      QueueManager into a private redis-server, no worker: INFO used_memory before/after, and
 *      MEMORY USAGE of one job's hash;
 *   2. Redis memory per finished task — SIZING_FINISHED small files processed by `dcs api` +
 *      `dcs worker`: finished BullMQ jobs stay in Redis RESULT_TTL_DAYS (at least an hour);
 *   3. database growth per million rows — the benchmark CSV of SIZING_ROWS rows (8 columns, as
 *      bench/clean.ts) processed on SQLite and PostgreSQL (TEST_POSTGRES_URL, a scratch schema):
 *      on-disk size before/after (SQLite: file + WAL after a checkpoint; PostgreSQL: tables, TOAST
 *      and indexes), scaled to 1,000,000 rows.
 *
 *   npm run build && node dist/bench/sizing.js
 *   SIZING_QUEUED=10000 SIZING_FINISHED=50 SIZING_ROWS=200000 SIZING_DATABASES=sqlite,postgres
 *
 * Sizes, not speeds: the figures do not depend on the machine's load.
 */
import { statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging.js';
import { QueueManager } from '../src/queue/queue-manager.js';
import { dataFile, startRedis, startStack, uploadFile, waitCompleted } from './harness.js';

const QUEUED = Number(process.env.SIZING_QUEUED ?? 10_000);
const FINISHED = Number(process.env.SIZING_FINISHED ?? 50);
const ROWS = Number(process.env.SIZING_ROWS ?? 200_000);
const DATABASES = (process.env.SIZING_DATABASES ?? 'sqlite,postgres').split(',');
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function queuedTasks(redisUrl: string): Promise<void> {
  const prefix = `sizing${process.pid}`;
  const config = loadConfig({ REDIS_URL: redisUrl, REDIS_PREFIX: prefix });
  const queue = new QueueManager(config, createLogger({ level: 'silent', name: 'sizing' }));
  const redis = new Redis(redisUrl);
  try {
    await queue.enqueue({ jobId: randomUUID(), fileId: randomUUID() }); // creates the queue's own keys
    const before = await usedMemory(redis);
    const ids: string[] = [];
    for (let i = 0; i < QUEUED; i++) {
      const jobId = randomUUID();
      ids.push(jobId);
      await queue.enqueue({ jobId, fileId: randomUUID() });
    }
    const after = await usedMemory(redis);
    const hash = Number(await redis.call('MEMORY', 'USAGE', `${prefix}:${config.QUEUE_NAME}:${ids[0]}`, 'SAMPLES', '0'));
    console.log(`redis, queued task:   ${kib((after - before) / QUEUED)} per task (used_memory over ${QUEUED.toLocaleString()} tasks); job hash ${hash} B`);
    await redis.flushall();
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

async function finishedTasks(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  const stack = await startStack({ redisUrl, workers: 1 });
  try {
    const file = await dataFile(100);
    // One task first, so the queue's own keys and the workers' connections are in place.
    await waitCompleted(stack.baseUrl, String((await uploadFile(stack.baseUrl, file)).body.taskId));
    const before = await usedMemory(redis);
    const ids: string[] = [];
    for (let i = 0; i < FINISHED; i++) ids.push(String((await uploadFile(stack.baseUrl, file)).body.taskId));
    for (const id of ids) await waitCompleted(stack.baseUrl, id);
    const after = await usedMemory(redis);
    const keys = await redis.keys(`*:${ids[0]}`);
    const hash = keys.length > 0 ? Number(await redis.call('MEMORY', 'USAGE', keys[0], 'SAMPLES', '0')) : 0;
    console.log(
      `redis, finished task: ${kib((after - before) / FINISHED)} per task (used_memory over ${FINISHED} tasks, events stream included); job hash ${hash} B`,
    );
  } finally {
    await stack.stop();
    redis.disconnect();
  }
}

interface Target {
  name: string;
  url: string;
  size(): Promise<number>;
  drop(): Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const schema = `sizing_${process.pid}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    name: 'postgresql',
    url: url.toString(),
    async size() {
      const { rows } = await admin.query<{ bytes: string }>(
        `select coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'`,
        [schema],
      );
      return Number(rows[0].bytes);
    },
    async drop() {
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    },
  };
}

async function databaseGrowth(redisUrl: string, kind: string): Promise<void> {
  const file = await dataFile(ROWS);
  const target = kind === 'postgres' ? await postgresTarget() : undefined;
  const stack = await startStack({ redisUrl, workers: 1, databaseUrl: target?.url });
  const sqlitePath = join(stack.dataDir, 'dcs.sqlite');
  const sqliteSize = () => {
    const db = new Database(sqlitePath);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return statSync(sqlitePath).size;
  };
  const size = target ? () => target.size() : () => Promise.resolve(sqliteSize());
  try {
    const before = await size();
    const done = await waitCompleted(stack.baseUrl, String((await uploadFile(stack.baseUrl, file)).body.taskId));
    const after = await size();
    const stats = done.statistics as { totalRows: number; cleanedRows: number; exceptionRows: number };
    console.log(
      `${target?.name ?? 'sqlite'}: +${mib(after - before)} for ${stats.totalRows.toLocaleString()} rows (${stats.cleanedRows.toLocaleString()} clean, ${stats.exceptionRows.toLocaleString()} exceptions) → ${mib(((after - before) * 1_000_000) / stats.totalRows)} per million rows`,
    );
  } finally {
    await stack.stop();
    await target?.drop();
  }
}

const redis = await startRedis();
try {
  await queuedTasks(redis.url);
  await finishedTasks(redis.url);
  for (const kind of DATABASES) await databaseGrowth(redis.url, kind);
} finally {
  await redis.stop();
}
