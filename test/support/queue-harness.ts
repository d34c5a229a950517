/**
 * In-process harness for the queue property and integration suites: the real HTTP API, queue,
 * producer and (optionally) a real TaskConsumer on a scratch SQLite file and the machine's Redis
 * under a unique prefix. Differences from `startTestApp` (app.ts):
 * - the consumer can be given a scripted Database (`ScriptedDatabase`) to hold, slow down or fail
 *   attempts at chosen points — a test double for transient database failures;
 * - configuration values below the validated minimums can be forced (`configOverrides`), e.g. a
 *   100 ms JOB_TIMEOUT_MS, so timeout properties run 100 times in seconds;
 * - every status change of `file_records` is logged by an SQLite trigger (`statusLog`), so tests
 *   observe the real database transitions, not what the code believes it wrote.
 *
 *   const h = await startHarness({ env: { MAX_RETRIES: '2' } });
 *   const scripted = new ScriptedDatabase(h.db);
 *   const consumer = h.startConsumer({ db: scripted.db });
 *   const { taskId } = await h.uploadCsv('姓名,手机号\n张三,13800138000\n');
 *   …
 *   await h.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { parseLimitsOf } from '../../src/cli/common.js';
import { ConfigStore, loadConfig, type Config } from '../../src/config/index.js';
import { buildApp } from '../../src/http/app.js';
import { Metrics } from '../../src/http/metrics.js';
import { createLogger, type Logger } from '../../src/logging.js';
import { QueueManager } from '../../src/queue/queue-manager.js';
import { TaskConsumer, type TaskConsumerEvents } from '../../src/queue/task-consumer.js';
import { TaskProducer } from '../../src/queue/task-producer.js';
import { createDatabase, LocalFileStore, type Database } from '../../src/storage/index.js';
import { upload } from './stack.js';
import type { JobStatus } from '../../src/domain/index.js';

export { waitFor } from './wait.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface StatusChange {
  seq: number;
  jobId: string;
  /** null for the insert of the record. */
  from: JobStatus | null;
  to: JobStatus;
}

export interface Harness {
  baseUrl: string;
  app: FastifyInstance;
  db: Database;
  queue: QueueManager;
  producer: TaskProducer;
  fileStore: LocalFileStore;
  config: ConfigStore;
  /** The environment the ConfigStore reloads from: change it, then `config.reload()`. */
  env: NodeJS.ProcessEnv;
  metrics: Metrics;
  logger: Logger;
  dataDir: string;
  sqlitePath: string;
  consumers: TaskConsumer[];
  startConsumer(o?: { db?: Database; events?: TaskConsumerEvents }): TaskConsumer;
  /** Async upload over HTTP; throws unless answered 202. */
  uploadCsv(content: string | Buffer, filename?: string): Promise<{ taskId: string; jobId: string; fileId: string; status: string; message: string }>;
  /** Every status change logged by the database trigger (all jobs, or one). */
  statusLog(jobId?: string): StatusChange[];
  close(): Promise<void>;
}

export function uniquePrefix(tag: string): string {
  return `t${tag}${process.pid}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Removes every key of a queue that child processes used (stackEnv's REDIS_PREFIX), so suites
 * running `dcs api`/`dcs worker` leave nothing on the shared Redis.
 */
export async function obliterateQueue(prefix: string, queueName = 'data-cleaning', redisUrl = REDIS_URL): Promise<void> {
  const url = new URL(redisUrl);
  const queue = new Queue(queueName, {
    prefix,
    connection: { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0), password: url.password || undefined },
  });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

export async function startHarness(o: { env?: Record<string, string>; configOverrides?: Partial<Config>; tag?: string } = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcs-qh-'));
  const sqlitePath = join(dataDir, 'db.sqlite');
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${sqlitePath}`,
    REDIS_URL,
    REDIS_PREFIX: uniquePrefix(o.tag ?? 'q'),
    LOG_LEVEL: process.env.HARNESS_LOG_LEVEL ?? 'silent',
    PROGRESS_INTERVAL_MS: '50',
    RETRY_BACKOFF_MS: '10',
    ...o.env,
  };
  const config = new ConfigStore({ ...loadConfig(env), ...o.configOverrides }, env);
  const c = config.current;
  const logger = createLogger({ level: c.LOG_LEVEL });
  const db = createDatabase(c.DATABASE_URL, { batchSize: c.BATCH_SIZE });
  await db.migrate();

  const side = new BetterSqlite3(sqlitePath);
  side.pragma('busy_timeout = 5000');
  side.exec(`
    CREATE TABLE status_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, old_status TEXT, new_status TEXT NOT NULL);
    CREATE TRIGGER status_log_insert AFTER INSERT ON file_records
      BEGIN INSERT INTO status_log (job_id, old_status, new_status) VALUES (NEW.job_id, NULL, NEW.status); END;
    CREATE TRIGGER status_log_update AFTER UPDATE OF status ON file_records WHEN OLD.status <> NEW.status
      BEGIN INSERT INTO status_log (job_id, old_status, new_status) VALUES (NEW.job_id, OLD.status, NEW.status); END;
  `);
  const readLog = side.prepare<[], { seq: number; job_id: string; old_status: JobStatus | null; new_status: JobStatus }>(
    'SELECT seq, job_id, old_status, new_status FROM status_log ORDER BY seq',
  );

  const fileStore = new LocalFileStore(join(dataDir, 'uploads'));
  const queue = new QueueManager(c, logger);
  if (!(await queue.waitUntilReady())) throw new Error(`Redis at ${REDIS_URL} does not answer`);
  const metrics = new Metrics(queue, db);
  const producer = new TaskProducer({ db, fileStore, queue, logger, maxFileSize: () => config.current.MAX_FILE_SIZE });
  const app = await buildApp({ config, db, fileStore, queue, producer, metrics, logger, version: 'test', parseLimits: () => parseLimitsOf(config.current) });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const consumers: TaskConsumer[] = [];

  return {
    baseUrl,
    app,
    db,
    queue,
    producer,
    fileStore,
    config,
    env,
    metrics,
    logger,
    dataDir,
    sqlitePath,
    consumers,
    startConsumer(opts = {}) {
      const consumer = new TaskConsumer({ db: opts.db ?? db, fileStore, config, logger, events: opts.events });
      consumers.push(consumer);
      return consumer;
    },
    async uploadCsv(content, filename = 'upload.csv') {
      const res = await upload<{ taskId: string; jobId: string; fileId: string; status: string; message: string }>(baseUrl, { name: filename, content });
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    statusLog(jobId) {
      return readLog
        .all()
        .filter((r) => jobId === undefined || r.job_id === jobId)
        .map((r) => ({ seq: r.seq, jobId: r.job_id, from: r.old_status, to: r.new_status }));
    },
    async close() {
      await app.close();
      // A test that failed may leave an attempt held by a hook: stop waiting for it after a while.
      await Promise.all(
        consumers.map((consumer) =>
          Promise.race([consumer.close(1000).catch(() => undefined), sleep(5000).then(() => consumer.forceClose().catch(() => undefined))]),
        ),
      );
      metrics.close();
      config.close();
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      side.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * What a scripted attempt does at one of its hook points. `fileName` is the upload's name: tests
 * script behaviour by file name, which is known before the upload — a script keyed by task id
 * would race a worker that starts the task before the upload's answer reaches the test.
 */
export type AttemptHook = (call: { jobId: string; fileName: string; token: string; attempt: number; batch: number }) => Promise<void> | void;

export interface AttemptRecord {
  jobId: string;
  token: string;
  /** 1-based, per job, counted by startAttempt calls. */
  attempt: number;
  startedAt: number;
  /** When a hook threw (the injected failure), if one did. */
  failedAt?: number;
}

/**
 * A Database for a TaskConsumer whose attempts can be scripted: `beforeStart` runs inside
 * startAttempt before the real one (throw to fail the attempt before it starts, await to hold it),
 * `afterStart` right after it (the record is `processing`: throw ECONNRESET to act like a commit
 * whose acknowledgement was lost), `beforeInsert` inside every insertBatch. Every other call goes
 * to the real database.
 */
export class ScriptedDatabase {
  readonly db: Database;
  readonly attempts: AttemptRecord[] = [];
  beforeStart?: AttemptHook;
  afterStart?: AttemptHook;
  beforeInsert?: AttemptHook;
  private readonly batches = new Map<string, number>();

  constructor(private readonly real: Database) {
    const fileNames = new Map<string, string>();
    const fileNameOf = async (jobId: string) => {
      let name = fileNames.get(jobId);
      if (name === undefined) {
        name = (await real.getFileRecordByJobId(jobId))?.originalName ?? '';
        fileNames.set(jobId, name);
      }
      return name;
    };
    const startAttempt = async (jobId: string, token: string): Promise<void> => {
      const attempt = this.attempts.filter((a) => a.jobId === jobId).length + 1;
      const record: AttemptRecord = { jobId, token, attempt, startedAt: Date.now() };
      this.attempts.push(record);
      try {
        const fileName = await fileNameOf(jobId);
        await this.beforeStart?.({ jobId, fileName, token, attempt, batch: 0 });
        await real.startAttempt(jobId, token);
        await this.afterStart?.({ jobId, fileName, token, attempt, batch: 0 });
      } catch (err) {
        record.failedAt = Date.now();
        throw err;
      }
    };
    const insertBatch: Database['insertBatch'] = async (jobId, token, ...rest) => {
      const batch = (this.batches.get(token) ?? 0) + 1;
      this.batches.set(token, batch);
      const record = this.attempts.find((a) => a.token === token);
      try {
        await this.beforeInsert?.({ jobId, fileName: await fileNameOf(jobId), token, attempt: record?.attempt ?? 0, batch });
      } catch (err) {
        if (record) record.failedAt = Date.now();
        throw err;
      }
      return real.insertBatch(jobId, token, ...rest);
    };
    const overrides: Record<string | symbol, unknown> = { startAttempt, insertBatch };
    this.db = new Proxy(real, {
      get(target, prop) {
        if (prop in overrides) return overrides[prop];
        const value: unknown = Reflect.get(target, prop, target);
        // Database uses #private fields: methods must run with the real instance as `this`.
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  attemptsOf(jobId: string): AttemptRecord[] {
    return this.attempts.filter((a) => a.jobId === jobId);
  }
}

/** An error as a driver reports it: message plus a `code` such as ECONNRESET. */
export function codedError(code: string, message = `injected ${code}`): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** A small valid CSV of `rows` data rows (name, phone, date, address), some of them dirty. */
export function sampleCsv(rows: number, seed = 1): string {
  const lines = ['姓名,手机号,出生日期,地址'];
  for (let i = 0; i < rows; i++) {
    const n = (seed * 7919 + i * 104_729) % 100_000_000;
    const dirty = (seed + i) % 5 === 0;
    lines.push(`用户${i},${dirty ? '12345' : `138${String(n).padStart(8, '0')}`},2024-0${1 + (i % 9)}-1${i % 10},北京市朝阳区建国路${i + 1}号`);
  }
  return `${lines.join('\n')}\n`;
}
