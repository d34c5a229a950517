/**
 * 属性5 (SPEC R2.5, R7.1–7.2): queued tasks survive a Redis restart. Each run queues a random
 * number of tasks with no worker running, restarts a private AOF redis-server (appendfsync always)
 * either cleanly (SIGTERM) or as a crash (SIGKILL), and checks that every job is still waiting
 * afterwards; a worker started then completes each task exactly once — one attempt, the status
 * path pending → processing → completed with nothing else, exactly totalRows rows stored. The
 * example with `dcs` processes and 100 tasks is test/fault/redis-restart.test.ts. The slowest of
 * the queue properties (a real restart per run), so it keeps its tables small.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedRows } from '../support/fault.js';
import { sampleCsv, startHarness, waitFor, type Harness } from '../support/queue-harness.js';
import { RedisServer } from '../support/redis-server.js';

const runArb = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 5 }),
  signal: fc.constantFrom('SIGTERM' as const, 'SIGKILL' as const),
});

describe('属性5: queued tasks survive a Redis restart', () => {
  let redis: RedisServer;
  let h: Harness;
  let seed = 0;

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: true });
    h = await startHarness({ tag: 'persist', env: { REDIS_URL: redis.url, WORKER_CONCURRENCY: '2', PIPELINE_THREADS: '0' } });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.stop();
  });

  it('every queued job is still there after the restart and runs exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ sizes, signal }) => {
        const tasks = [];
        for (const rows of sizes) tasks.push({ rows, ...(await h.uploadCsv(sampleCsv(rows, ++seed), `persist-${seed}.csv`)) });

        await redis.restart(signal);
        expect(await h.queue.waitUntilReady(10_000)).toBe(true);
        for (const task of tasks) expect((await h.queue.getTaskState(task.taskId))?.state).toBe('waiting');

        const consumer = h.startConsumer();
        try {
          const ids = tasks.map((t) => t.taskId);
          const final = await waitFor(async () => {
            const stored = await Promise.all(ids.map((id) => h.db.getFileRecordByJobId(id)));
            return stored.every((s) => s?.status === 'completed') ? stored : undefined;
          }, 'every task to complete');
          for (const [i, task] of tasks.entries()) {
            expect(final[i]).toMatchObject({ attempts: 1, totalRows: task.rows });
            expect(h.statusLog(task.taskId).map((c) => `${c.from}→${c.to}`)).toEqual(['null→pending', 'pending→processing', 'processing→completed']);
            expect(await storedRows(`sqlite:${h.sqlitePath}`, task.taskId)).toEqual({
              clean: final[i]!.cleanedRows,
              exceptions: final[i]!.exceptionRows,
              distinctRows: task.rows,
            });
          }
        } finally {
          await consumer.close(1000);
        }
      }),
      { numRuns: 100 },
    );
    // ~0.45 s a run (restart, reconnect backoff, a fresh worker): about 45 s in all on a quiet machine.
  }, 240_000);
});
