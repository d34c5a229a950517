/**
 * 属性10 (SPEC R3.7, R7.3): abandoned tasks are found and finished. Each run leaves a random set of
 * tasks in the ways a crash or an outage leaves them —
 *   healthy            pending, job waiting (nothing to repair);
 *   neverEnqueued      pending, no job (Redis was down at upload);
 *   jobLost            pending, enqueued, job gone (Redis lost its data);
 *   diedJobLost        processing (a worker started it), job gone;
 *   diedJobCompleted   processing, job `completed` in BullMQ (the worker died before the database heard);
 *   failedInBullmq     processing, job `failed` in BullMQ (e.g. stalled too often) —
 * then one recovery pass must report exactly the repairs the damage calls for, a second pass must
 * find nothing, and a worker started afterwards must end every task: failedInBullmq `failed` with
 * BullMQ's reason, every other one `completed` once, with exactly totalRows rows stored and no row
 * twice. Cleaning runs on the calling thread (PIPELINE_THREADS 0): threads are not the subject here
 * and cost ~0.5 s each under vitest. The example with real processes is
 * test/fault/worker-crash.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecoveryManager } from '../../src/queue/recovery-manager.js';
import type { FileRecord } from '../../src/storage/index.js';
import { storedRows } from '../support/fault.js';
import { REDIS_URL, sampleCsv, startHarness, waitFor, type Harness } from '../support/queue-harness.js';

const DAMAGES = ['healthy', 'neverEnqueued', 'jobLost', 'diedJobLost', 'diedJobCompleted', 'failedInBullmq'] as const;
type Damage = (typeof DAMAGES)[number];
/** Damages that need the job taken by a worker first (done before any other job is waiting). */
const TAKEN = new Set<Damage>(['diedJobCompleted', 'failedInBullmq']);
const FAILED_REASON = 'job stalled more than allowable limit';

const runArb = fc.array(fc.record({ damage: fc.constantFrom(...DAMAGES), rows: fc.integer({ min: 1, max: 30 }) }), { minLength: 1, maxLength: 6 });

describe('属性10: recovery finds and finishes abandoned tasks', () => {
  let h: Harness;
  let recovery: RecoveryManager;
  /** A BullMQ worker without a processor: the test takes jobs and ends them by hand, like a worker that then died. */
  let manual: Worker;
  let seed = 0;

  beforeAll(async () => {
    h = await startHarness({ tag: 'recovery', env: { RECOVERY_GRACE_MS: '0', WORKER_CONCURRENCY: '2', PIPELINE_THREADS: '0' } });
    recovery = new RecoveryManager({ db: h.db, queue: h.queue, config: h.config, logger: h.logger });
    const url = new URL(REDIS_URL);
    manual = new Worker(h.queue.name, null, { prefix: h.queue.prefix, connection: { host: url.hostname, port: Number(url.port || 6379) } });
  });
  afterAll(async () => {
    await manual?.close();
    await h?.close();
  });

  async function damage(record: FileRecord, kind: Damage): Promise<void> {
    if (kind === 'neverEnqueued') return;
    expect(await h.producer.enqueue(record)).toBe(true);
    if (kind === 'healthy') return;
    if (TAKEN.has(kind)) {
      const token = randomUUID();
      const job = await manual.getNextJob(token);
      expect(job?.id).toBe(record.jobId);
      await h.db.startAttempt(record.jobId, randomUUID());
      if (kind === 'diedJobCompleted') {
        await job!.moveToCompleted({}, token, false);
      } else {
        job!.discard(); // no BullMQ retry: the job ends failed now
        await job!.moveToFailed(new Error(FAILED_REASON), token, false);
      }
      return;
    }
    if (kind === 'diedJobLost') await h.db.startAttempt(record.jobId, randomUUID());
    await (await h.queue.getJob(record.jobId))!.remove();
  }

  it('one pass repairs exactly what is damaged; afterwards every task ends once with exact rows', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (tasks) => {
        // Tasks a worker must take first are damaged first, while no other job waits.
        const ordered = [...tasks].sort((a, b) => Number(TAKEN.has(b.damage)) - Number(TAKEN.has(a.damage)));
        const records: { record: FileRecord; damage: Damage; rows: number }[] = [];
        for (const task of ordered) {
          const saved = await h.producer.save(Readable.from([Buffer.from(sampleCsv(task.rows, ++seed))]));
          const record = await h.producer.create(saved, `recovery-${seed}.csv`);
          await damage(record, task.damage);
          records.push({ record, ...task });
        }
        await sleep(5); // RECOVERY_GRACE_MS is 0, and "updated before now" is strict

        const ids = (...kinds: Damage[]) =>
          records
            .filter((r) => kinds.includes(r.damage))
            .map((r) => r.record.jobId)
            .sort();
        const report = await recovery.reconcile();
        expect({
          enqueued: [...report.enqueued].sort(),
          requeued: [...report.requeued].sort(),
          failed: [...report.failed].sort(),
          timedOut: report.timedOut,
          skipped: report.skipped,
        }).toEqual({
          enqueued: ids('neverEnqueued', 'jobLost'),
          requeued: ids('diedJobLost', 'diedJobCompleted'),
          failed: ids('failedInBullmq'),
          timedOut: [],
          skipped: false,
        });
        await sleep(5);
        expect(await recovery.reconcile()).toEqual({ enqueued: [], requeued: [], failed: [], timedOut: [], skipped: false });

        const consumer = h.startConsumer();
        try {
          const final = await waitFor(async () => {
            const stored = await Promise.all(records.map((r) => h.db.getFileRecordByJobId(r.record.jobId)));
            return stored.every((s) => s && ['completed', 'failed', 'timeout', 'cancelled'].includes(s.status)) ? stored : undefined;
          }, 'every task to end');
          for (const [i, { damage: kind, rows, record }] of records.entries()) {
            const stored = final[i]!;
            const counts = await storedRows(`sqlite:${h.sqlitePath}`, record.jobId);
            if (kind === 'failedInBullmq') {
              expect(stored).toMatchObject({ status: 'failed', errorCode: 'TASK_FAILED', errorMessage: FAILED_REASON });
              expect(counts).toEqual({ clean: 0, exceptions: 0, distinctRows: 0 });
            } else {
              expect(stored.status).toBe('completed');
              expect(stored.totalRows).toBe(rows);
              expect(counts).toEqual({ clean: stored.cleanedRows, exceptions: stored.exceptionRows, distinctRows: rows });
              expect(counts.clean + counts.exceptions).toBe(rows);
            }
          }
        } finally {
          await consumer.close(1000);
        }
      }),
      { numRuns: 100 },
    );
  });
});
