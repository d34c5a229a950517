/**
 * The S3 file store (FILE_STORE_URL=s3://…) against a real S3-protocol server (s3rver): streamed
 * multipart uploads, temporary local copies that are always released, FILE_NOT_FOUND for a gone
 * object, FILE_STORE_UNAVAILABLE (retryable) for an unreachable store, retention deleting objects;
 * then `dcs api` and `dcs worker` processes on separate DATA_DIRs (as on separate hosts) sharing
 * nothing but Redis, the database and the bucket — including an object-store outage that a worker
 * rides out by retrying.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { classifyError } from '../../src/queue/error-handler.js';
import { createDatabase, createFileStore, RetentionJob, type Database } from '../../src/storage/index.js';
import type { S3FileStore } from '../../src/storage/file-store/s3.js';
import { S3Server } from '../support/s3-server.js';
import { ROOT, stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

const BUCKET = 'dcs-test';
const PREFIX = 'tenant-a';
const MB = 1024 * 1024;

/** `count` chunks of 1 MiB of pseudo-random bytes (never held at once). */
function megabytes(count: number, seed: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === count) return void this.push(null);
      sent++;
      this.push(
        createHash('sha512')
          .update(`${seed}:${sent}`)
          .digest()
          .toString('hex')
          .repeat(MB / 128)
          .slice(0, MB),
      );
    },
  });
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return hash.digest('hex');
}

const tempFiles = (dataDir: string) => (existsSync(join(dataDir, 'tmp')) ? readdirSync(join(dataDir, 'tmp')) : []);

describe('S3FileStore against s3rver', () => {
  let s3: S3Server;
  let dataDir: string;
  let store: S3FileStore;

  beforeAll(async () => {
    s3 = await S3Server.start(BUCKET);
    dataDir = mkdtempSync(join(tmpdir(), 'dcs-s3store-'));
    store = (await createFileStore(
      { FILE_STORE_URL: `s3://${BUCKET}/${PREFIX}`, DATA_DIR: dataDir, S3_FORCE_PATH_STYLE: true },
      { client: s3.clientConfig },
    )) as S3FileStore;
  });

  afterAll(async () => {
    store?.close();
    await s3?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores a 20 MiB upload in parts under the prefix and hands out a local copy that release() deletes', async () => {
    const expected = await sha256Of(megabytes(20, 1));
    const saved = await store.save(megabytes(20, 1), { maxBytes: 20 * MB });
    expect(saved.size).toBe(20 * MB);
    expect(saved.key).toMatch(/^uploads\/[0-9a-f-]{36}$/);
    // The API checks the content from the spooled copy; then it is released.
    expect(await sha256(saved.path)).toBe(expected);
    await saved.release();
    expect(existsSync(saved.path)).toBe(false);
    expect(s3.objectKeys()).toContain(`${PREFIX}/${saved.key}`);
    expect(await store.exists(saved.key)).toBe(true);
    expect(store.describe(saved.key)).toBe(`s3://${BUCKET}/${PREFIX}/${saved.key}`);

    const local = await store.localFile(saved.key);
    expect(local.path.startsWith(join(dataDir, 'tmp'))).toBe(true);
    expect(await sha256(local.path)).toBe(expected);
    await local.release();
    await local.release();
    expect(tempFiles(dataDir)).toEqual([]);

    await store.remove(saved.key);
    await store.remove(saved.key);
    expect(await store.exists(saved.key)).toBe(false);
    await expect(store.localFile(saved.key)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(tempFiles(dataDir)).toEqual([]);
    await expect(store.localFile('uploads/../../etc')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('rejects an oversized upload with FILE_SIZE_EXCEEDED and leaves no object and no temporary file', async () => {
    const before = s3.objectKeys();
    const source = megabytes(3, 2);
    await expect(store.save(source, { maxBytes: 2 * MB })).rejects.toMatchObject({ code: 'FILE_SIZE_EXCEEDED' });
    expect(source.destroyed).toBe(true);
    expect(s3.objectKeys()).toEqual(before);
    expect(tempFiles(dataDir)).toEqual([]);
  });

  it('reports an unreachable store as FILE_STORE_UNAVAILABLE, retryable, naming bucket and endpoint', async () => {
    const saved = await store.save(Readable.from(['a,b\n1,2\n']), { maxBytes: 100 });
    await saved.release();
    await s3.pause();
    try {
      for (const attempt of [() => store.localFile(saved.key), () => store.exists(saved.key), () => store.save(Readable.from(['x']), { maxBytes: 10 })]) {
        const err = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isAppError(err) && err.code).toBe('FILE_STORE_UNAVAILABLE');
        expect((err as Error).message).toContain(`s3://${BUCKET}/${PREFIX}/`);
        expect((err as Error).message).toContain(s3.endpoint);
        expect(classifyError(err).kind).toBe('retryable');
      }
      expect(tempFiles(dataDir)).toEqual([]);
    } finally {
      await s3.resume();
    }
    expect(await store.exists(saved.key)).toBe(true);
  });

  it('retention deletes the objects of expired jobs and sweeps stale temporary downloads', async () => {
    const db: Database = createDatabase(`sqlite:${join(dataDir, 'retention.sqlite')}`);
    await db.migrate();
    try {
      const saved = await store.save(Readable.from(['a,b\n1,2\n']), { maxBytes: 100 });
      await saved.release();
      const jobId = randomUUID();
      await db.createFileRecord({
        id: randomUUID(),
        jobId,
        originalName: 'a.csv',
        size: saved.size,
        fileType: 'csv',
        mimeType: 'text/csv',
        storageKey: saved.key,
      });
      await db.startAttempt(jobId, 't');
      await db.endAttempt(jobId, 't', 'failed', 'X', 'x');
      const kept = await store.save(Readable.from(['kept']), { maxBytes: 100 });
      await kept.release();

      const report = await new RetentionJob({ database: db, fileStore: store, maxAgeMs: 0, now: () => new Date(Date.now() + 60_000) }).runOnce();
      expect(report).toMatchObject({ deletedJobs: 1, removedFiles: 1, failedFiles: 0 });
      expect(await store.exists(saved.key)).toBe(false);
      expect(s3.objectKeys()).not.toContain(`${PREFIX}/${saved.key}`);
      expect(await store.exists(kept.key)).toBe(true);
    } finally {
      await db.close();
    }
  });
});

describe('dcs api + dcs worker on separate DATA_DIRs sharing an S3 bucket', () => {
  const dbDir = mkdtempSync(join(tmpdir(), 'dcs-s3db-'));
  const apiDir = mkdtempSync(join(tmpdir(), 'dcs-s3api-'));
  const workerDir = mkdtempSync(join(tmpdir(), 'dcs-s3worker-'));
  let s3: S3Server;
  let api: ApiProcess;
  let worker: ServiceProcess | undefined;
  let env: (dataDir: string) => Record<string, string>;

  beforeAll(async () => {
    s3 = await S3Server.start(BUCKET);
    const prefix = `s3${process.pid}${Math.random().toString(36).slice(2, 8)}`;
    env = (dataDir) =>
      stackEnv({
        databaseUrl: `sqlite:${join(dbDir, 'db.sqlite')}`,
        redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        dataDir,
        prefix,
        env: { ...s3.env, FILE_STORE_URL: `s3://${BUCKET}/${PREFIX}`, MAX_RETRIES: '20', RETRY_BACKOFF_MS: '300' },
      });
    api = await startApi(env(apiDir));
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await s3?.stop();
    for (const dir of [dbDir, apiDir, workerDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('a worker rides out an object-store outage by retrying, and the API answers 503 FILE_STORE_UNAVAILABLE meanwhile', async () => {
    const queued = await upload<{ taskId: string }>(api.baseUrl, join(ROOT, 'test/fixtures/parsing/xlsx/workbook.xlsx'));
    expect(queued.status).toBe(202);
    await s3.pause();
    try {
      const refused = await upload<{ errorCode: string; message: string }>(api.baseUrl, join(ROOT, 'test/fixtures/parsing/xlsx/workbook.xlsx'));
      expect(refused.status).toBe(503);
      expect(refused.body.errorCode).toBe('FILE_STORE_UNAVAILABLE');
      expect(refused.body.message).toContain(s3.endpoint);
      worker = await startWorker(env(workerDir));
      await worker.waitForLog(/FILE_STORE_UNAVAILABLE/);
    } finally {
      await s3.resume();
    }
    const done = await waitForTask(api.baseUrl, queued.body.taskId);
    expect(done.statistics).toMatchObject({ totalRows: 7, cleanedRows: 5, exceptionRows: 2 });
  });

  it('processes an upload end to end: API host stores it, worker host reads it, results download; no local copies stay', async () => {
    const { status, body } = await upload<{ taskId: string }>(api.baseUrl, join(ROOT, 'test/fixtures/parsing/xlsx/workbook.xlsx'));
    expect(status).toBe(202);
    const done = await waitForTask(api.baseUrl, body.taskId);
    expect(done.statistics).toMatchObject({ totalRows: 7, cleanedRows: 5, exceptionRows: 2 });

    const res = await fetch(`${api.baseUrl}/api/data-cleaning/download/clean/${body.taskId}?format=csv`);
    expect(res.status).toBe(200);
    const csv = (await res.text()).replace(/^\uFEFF/, '');
    expect(csv.trim().split(/\r?\n/)).toHaveLength(1 + 5);

    // Each upload is one object under the prefix; neither host keeps an upload or a temporary copy.
    expect(s3.objectKeys().filter((k) => k.startsWith(`${PREFIX}/uploads/`))).toHaveLength(2);
    for (const dir of [apiDir, workerDir]) {
      expect(existsSync(join(dir, 'uploads')), dir).toBe(false);
      expect(tempFiles(dir), dir).toEqual([]);
    }
  });
});
