/**
 * 属性9 (SPEC R3.6): a worker that is shut down loses no task. Each run queues a few tasks and
 * shuts the worker (TaskConsumer.close) down while its first task is at a random batch, with a
 * grace period that is either long (the task must finish in that worker) or nearly zero (the task
 * is handed back, unless its last batches beat the abort). From the moment close() is called the worker starts nothing new; a second
 * worker started afterwards completes everything that is left; every task ends `completed`
 * with exactly totalRows rows stored and no row twice. The first task waits at its stop point
 * until close() has been called, so it is really running when the shutdown comes. The example with real processes and
 * SIGTERM is test/fault/worker-sigterm.test.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedRows } from '../support/fault.js';
import { sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';

const BATCH_SIZE = 5;
const LONG_GRACE_MS = 30_000;
const SHORT_GRACE_MS = 1;

const runArb = fc.record({
  // 21+ rows: at least 5 batches, so every stop point below is reached while the task runs.
  sizes: fc.array(fc.integer({ min: 21, max: 45 }), { minLength: 1, maxLength: 3 }),
  stopAtBatch: fc.integer({ min: 1, max: 4 }),
  grace: fc.constantFrom('long', 'short'),
});

describe('属性9: graceful shutdown loses no task', () => {
  let h: Harness;
  let seed = 0;
  let handedBack = 0;

  beforeAll(async () => {
    h = await startHarness({ tag: 'shutdown', env: { WORKER_CONCURRENCY: '1', BATCH_SIZE: String(BATCH_SIZE), PIPELINE_THREADS: '0' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a long grace finishes the running task, a short one hands it back; nothing new starts; all complete once', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ sizes, stopAtBatch, grace }) => {
        const first = new ScriptedDatabase(h.db);
        let reached!: (jobId: string) => void;
        const stopPoint = new Promise<string>((resolve) => (reached = resolve));
        let closeCalled!: () => void;
        const closing = new Promise<void>((resolve) => (closeCalled = resolve));
        // The first task waits at its stop point until close() has been called, then goes on.
        first.beforeInsert = async ({ jobId, attempt, batch }) => {
          if (attempt === 1 && batch === stopAtBatch && first.attempts.length === 1) {
            reached(jobId);
            await closing;
          }
          await sleep(2);
        };
        const a = h.startConsumer({ db: first.db });
        const tasks = [];
        for (const rows of sizes) tasks.push({ rows, ...(await h.uploadCsv(sampleCsv(rows, ++seed), `shutdown-${seed}.csv`)) });

        const running = await stopPoint;
        expect(running).toBe(tasks[0].taskId);
        expect(first.attempts).toHaveLength(1);
        const closed = a.close(grace === 'long' ? LONG_GRACE_MS : SHORT_GRACE_MS);
        closeCalled();
        await closed;
        // Nothing new was started once close() was called.
        expect(first.attempts).toHaveLength(1);
        const afterFirst = await h.db.getFileRecordByJobId(running);
        // Long grace: finished. Short: handed back — or finished anyway if its last batches beat the abort.
        if (grace === 'long') expect(afterFirst?.status).toBe('completed');
        else expect(['pending', 'completed']).toContain(afterFirst?.status);
        const takenOver = afterFirst?.status === 'pending';
        if (takenOver) handedBack++;

        const second = new ScriptedDatabase(h.db);
        const b = h.startConsumer({ db: second.db });
        try {
          const ids = tasks.map((t) => t.taskId);
          const final = await waitFor(async () => {
            const stored = await Promise.all(ids.map((id) => h.db.getFileRecordByJobId(id)));
            return stored.every((s) => s?.status === 'completed') ? stored : undefined;
          }, 'every task to complete');
          for (const [i, task] of tasks.entries()) {
            expect(final[i]!.totalRows).toBe(task.rows);
            expect(await storedRows(`sqlite:${h.sqlitePath}`, task.taskId)).toEqual({
              clean: final[i]!.cleanedRows,
              exceptions: final[i]!.exceptionRows,
              distinctRows: task.rows,
            });
          }
          // The running task: finished by the first worker (long grace) or taken over by the second.
          expect(second.attemptsOf(running)).toHaveLength(takenOver ? 1 : 0);
          // The others were run once, by the second worker.
          for (const id of ids.slice(1)) expect(second.attemptsOf(id)).toHaveLength(1);
        } finally {
          await b.close(1000);
        }
      }),
      { numRuns: 100 },
    );
    // The short grace really handed tasks back (not only finished them in time).
    expect(handedBack).toBeGreaterThan(10);
  });
});
