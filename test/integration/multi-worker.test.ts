/**
 * SPEC R3.1/R3.2, R11 (exact counts) with real processes: `dcs api` and two `dcs worker`
 * processes on one Redis (unique prefix) and one database. Twenty uploads of different sizes all
 * complete; each is processed exactly once (one attempt in the database, one "task started" in
 * the logs of all workers together); the database holds exactly totalRows = clean + exception
 * rows per job; both workers took part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/storage/index.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { obliterateQueue, REDIS_URL, sampleCsv } from '../support/queue-harness.js';
import { startApi, startWorker, stackEnv, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';

const UPLOADS = 20;

/** Job ids a worker logged "task started" for (pino JSON lines). */
function startedJobs(worker: ServiceProcess): string[] {
  return worker.logs.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; jobId?: string };
      return entry.msg === 'task started' && entry.jobId ? [entry.jobId] : [];
    } catch {
      return [];
    }
  });
}

describe.each(['sqlite', 'postgres'] as const)('two worker processes (%s)', (kind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcs-multi-'));
  let scratch: IsolatedDatabase;
  let db: Database;
  let api: ApiProcess;
  let workers: ServiceProcess[] = [];
  let prefix: string;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(kind);
    const env = stackEnv({ databaseUrl: scratch.url, redisUrl: REDIS_URL, dataDir });
    prefix = env.REDIS_PREFIX;
    api = await startApi(env);
    workers = await Promise.all([startWorker(env), startWorker(env)]);
    db = createDatabase(scratch.url);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    if (prefix) await obliterateQueue(prefix);
    await db?.close();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes 20 uploads, each exactly once, with exact row counts, on both workers', async () => {
    // Sizes from 50 to ~4,000 rows, so tasks overlap and both workers are busy.
    const sizes = Array.from({ length: UPLOADS }, (_, i) => 50 + ((i * 977) % 4000));
    const answers = await Promise.all(
      sizes.map((rows, i) => upload<{ taskId: string }>(api.baseUrl, { name: `part-${i}.csv`, content: sampleCsv(rows, i + 1) })),
    );
    expect(answers.map((a) => a.status)).toEqual(sizes.map(() => 202));
    const taskIds = answers.map((a) => a.body.taskId);
    expect(new Set(taskIds).size).toBe(UPLOADS);

    const views = await Promise.all(taskIds.map((id) => waitForTask(api.baseUrl, id, ['completed', 'failed', 'timeout', 'cancelled'], 120_000)));
    expect(views.map((v) => v.status)).toEqual(sizes.map(() => 'completed'));

    for (const [i, taskId] of taskIds.entries()) {
      const record = await db.getFileRecordByJobId(taskId);
      expect(record).toMatchObject({ status: 'completed', attempts: 1, totalRows: sizes[i] });
      expect(record!.cleanedRows + record!.exceptionRows).toBe(sizes[i]);
      expect(await db.countResults(taskId)).toEqual({ cleanRows: record!.cleanedRows, exceptionRows: record!.exceptionRows });
    }

    const started = workers.map(startedJobs);
    const all = started.flat();
    // Exactly once across both processes, and nothing else was processed.
    expect(all.sort()).toEqual([...taskIds].sort());
    console.info(`[${kind}] tasks per worker: ${started.map((s) => s.length).join(' + ')}`);
    for (const jobs of started) expect(jobs.length).toBeGreaterThan(0);
    expect(workers.every((w) => !w.exited)).toBe(true);
  }, 180_000);
});
