/**
 * RecoveryManager (src/queue/recovery-manager.ts, SPEC R3.7, R7.3) on a real Redis and a real
 * database: the branches the fault suites do not reach on purpose.
 * - requeue: a `processing` record whose job is gone goes back to `pending` and is enqueued again;
 * - BullMQ-failed: a job that failed in BullMQ without the database hearing of it marks the
 *   record `failed` with BullMQ's reason;
 * - overdue → timeout: a `processing` record past JOB_TIMEOUT_MS (+ LOCK_DURATION_MS) whose job is
 *   not running ends `timeout`; the same record with a job that a worker still holds is left alone.
 * Each test gets its own scratch database and queue prefix (recovery scans every record, so one
 * test's leftovers would otherwise be another test's input). "Later" is the manager's injected
 * clock, not a sleep.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigStore, loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging.js';
import { QueueManager } from '../../src/queue/queue-manager.js';
import { RecoveryManager } from '../../src/queue/recovery-manager.js';
import { createDatabase, type Database } from '../../src/storage/index.js';
import { createIsolatedDatabase, sampleFileRecord, type DatabaseKind, type IsolatedDatabase } from '../support/databases.js';
import { REDIS_URL, uniquePrefix, waitFor } from '../support/queue-harness.js';

const JOB_TIMEOUT_MS = 60_000;
const LOCK_DURATION_MS = 5000;

interface Setup {
  db: Database;
  queue: QueueManager;
  config: ConfigStore;
  /** A recovery manager whose clock reads `offsetMs` after the real one. */
  recovery(offsetMs?: number): RecoveryManager;
  /** A BullMQ worker on the task queue (stands in for a `dcs worker` whose fate the test scripts). */
  worker(processor: () => Promise<unknown>): Worker;
  close(): Promise<void>;
}

async function setUp(kind: DatabaseKind): Promise<Setup> {
  const scratch: IsolatedDatabase = await createIsolatedDatabase(kind);
  const env = {
    DATABASE_URL: scratch.url,
    REDIS_URL,
    REDIS_PREFIX: uniquePrefix('recovery'),
    RECOVERY_GRACE_MS: '0',
    JOB_TIMEOUT_MS: String(JOB_TIMEOUT_MS),
    LOCK_DURATION_MS: String(LOCK_DURATION_MS),
    LOG_LEVEL: 'silent',
  };
  const config = new ConfigStore(loadConfig(env), env);
  const logger = createLogger({ level: 'silent' });
  const db = createDatabase(scratch.url);
  await db.migrate();
  const queue = new QueueManager(config.current, logger);
  if (!(await queue.waitUntilReady())) throw new Error(`Redis at ${REDIS_URL} does not answer`);
  const workers: Worker[] = [];
  const url = new URL(REDIS_URL);
  return {
    db,
    queue,
    config,
    recovery: (offsetMs = 0) => new RecoveryManager({ db, queue, config, logger, now: () => Date.now() + offsetMs }),
    worker(processor) {
      const worker = new Worker(queue.name, processor, {
        prefix: queue.prefix,
        connection: { host: url.hostname, port: Number(url.port || 6379) },
        lockDuration: LOCK_DURATION_MS,
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close(true)));
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      config.close();
      await db.close();
      await scratch.drop();
    },
  };
}

/** A record the way a worker leaves it when it dies mid-task: `processing`, attempt started. */
async function processingRecord(s: Setup, o: { enqueue: boolean }) {
  const record = await s.db.createFileRecord(sampleFileRecord());
  if (o.enqueue) {
    await s.queue.enqueue({ jobId: record.jobId, fileId: record.id });
    await s.db.updateFileRecord(record.jobId, { enqueuedAt: new Date() });
  }
  await s.db.startAttempt(record.jobId, randomUUID());
  // RECOVERY_GRACE_MS is 0, but "updated before now" is strict: let the clock move past the write.
  await sleep(5);
  return record;
}

describe.each(['sqlite', 'postgres'] as const)('RecoveryManager branches (%s)', (kind) => {
  let s: Setup | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('requeue: a processing record whose job is gone goes back to pending with a new job', async () => {
    s = await setUp(kind);
    const record = await processingRecord(s, { enqueue: true });
    await (await s.queue.getJob(record.jobId))!.remove(); // Redis lost the job (e.g. data loss without AOF)
    expect(await s.queue.getTaskState(record.jobId)).toBeUndefined();

    const report = await s.recovery().reconcile();
    expect(report).toMatchObject({ skipped: false, requeued: [record.jobId], enqueued: [], failed: [], timedOut: [] });
    const after = await s.db.getFileRecordByJobId(record.jobId);
    expect(after?.status).toBe('pending');
    expect((await s.queue.getTaskState(record.jobId))?.state).toBe('waiting');

    // Idempotent: the job is BullMQ's again, so the next pass leaves it alone.
    await sleep(5);
    const again = await s.recovery().reconcile();
    expect(again).toMatchObject({ skipped: false, requeued: [], enqueued: [], failed: [], timedOut: [] });
  });

  it('requeue: a processing record whose job says completed (the database never heard) runs again', async () => {
    s = await setUp(kind);
    const record = await processingRecord(s, { enqueue: true });
    const worker = s.worker(async () => ({}));
    await waitFor(async () => (await s!.queue.getTaskState(record.jobId))?.state === 'completed', 'the job to complete in BullMQ');
    await worker.close();

    const report = await s.recovery().reconcile();
    expect(report.requeued).toEqual([record.jobId]);
    expect((await s.db.getFileRecordByJobId(record.jobId))?.status).toBe('pending');
    expect((await s.queue.getTaskState(record.jobId))?.state).toBe('waiting');
  });

  it('BullMQ-failed: the record is marked failed with BullMQ’s reason', async () => {
    s = await setUp(kind);
    const record = await processingRecord(s, { enqueue: true });
    const reason = 'job stalled more than allowable limit';
    const worker = s.worker(async () => {
      throw new UnrecoverableError(reason);
    });
    await waitFor(async () => (await s!.queue.getTaskState(record.jobId))?.state === 'failed', 'the job to fail in BullMQ');
    await worker.close();
    expect((await s.db.getFileRecordByJobId(record.jobId))?.status).toBe('processing');

    const report = await s.recovery().reconcile();
    expect(report).toMatchObject({ skipped: false, failed: [record.jobId], requeued: [], enqueued: [], timedOut: [] });
    const after = await s.db.getFileRecordByJobId(record.jobId);
    expect(after).toMatchObject({ status: 'failed', errorCode: 'TASK_FAILED', errorMessage: reason });
    expect(after?.completedAt).not.toBeNull();
    // Not run again: the failed job stays failed, no new job was made.
    expect((await s.queue.getTaskState(record.jobId))?.state).toBe('failed');
  });

  it('overdue → timeout: a processing record past the limit with no running job ends timeout', async () => {
    s = await setUp(kind);
    const overdue = await processingRecord(s, { enqueue: false });
    const later = JOB_TIMEOUT_MS + LOCK_DURATION_MS + 1000;

    // Within the limit (plus the lock duration a live worker may still need) it is only requeued…
    const early = await processingRecord(s, { enqueue: false });
    const beforeLimit = await s.recovery(JOB_TIMEOUT_MS).reconcile();
    expect(beforeLimit.timedOut).toEqual([]);
    expect(beforeLimit.requeued.sort()).toEqual([overdue.jobId, early.jobId].sort());
    for (const r of [overdue, early]) {
      await (await s.queue.getJob(r.jobId))!.remove();
      await s.db.startAttempt(r.jobId, randomUUID()); // processing again, started now
    }
    await sleep(5);

    // …past it, it ends `timeout` and is not enqueued again.
    const report = await s.recovery(later).reconcile();
    expect(report).toMatchObject({ skipped: false, requeued: [], enqueued: [], failed: [] });
    expect(report.timedOut.sort()).toEqual([overdue.jobId, early.jobId].sort());
    const after = await s.db.getFileRecordByJobId(overdue.jobId);
    expect(after).toMatchObject({ status: 'timeout', errorCode: 'PROCESSING_TIMEOUT' });
    expect(after?.errorMessage).toMatch(/超时/);
    expect(after?.completedAt).not.toBeNull();
    expect(await s.queue.getTaskState(overdue.jobId)).toBeUndefined();
  });

  it('overdue but held by a live worker: left to BullMQ, not timed out', async () => {
    s = await setUp(kind);
    const record = await processingRecord(s, { enqueue: true });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    s.worker(() => held);
    await waitFor(async () => (await s!.queue.getTaskState(record.jobId))?.state === 'active', 'a worker to take the job');

    const report = await s.recovery(JOB_TIMEOUT_MS + LOCK_DURATION_MS + 1000).reconcile();
    expect(report).toMatchObject({ skipped: false, requeued: [], enqueued: [], failed: [], timedOut: [] });
    expect((await s.db.getFileRecordByJobId(record.jobId))?.status).toBe('processing');
    release();
  });
});
