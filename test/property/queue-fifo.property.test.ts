/**
 * 属性3 (SPEC R2.1–R2.3): tasks are started in the order they were enqueued. Records are created
 * in one order and enqueued in a random permutation of it; a single worker (concurrency 1) must
 * start them in enqueue order — not in creation, id or file order. The first enqueued task is held
 * at its start until every task of the run is queued, so the rest really wait in the queue together.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileRecord } from '../../src/storage/index.js';
import { sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';

describe('属性3: a single worker starts tasks in enqueue order', () => {
  let h: Harness;
  let scripted: ScriptedDatabase;
  let hold: { jobId: string; release: () => void; reached: Promise<void>; arrive: () => void } | undefined;

  beforeAll(async () => {
    h = await startHarness({ tag: 'fifo', env: { WORKER_CONCURRENCY: '1' } });
    scripted = new ScriptedDatabase(h.db);
    scripted.beforeStart = async ({ jobId }) => {
      if (hold?.jobId !== jobId) return;
      const current = hold;
      current.arrive();
      await new Promise<void>((resolve) => (current.release = resolve));
    };
    h.startConsumer({ db: scripted.db });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('start order equals enqueue order for any permutation of the created tasks', async () => {
    const runArb = fc.integer({ min: 2, max: 7 }).chain((n) =>
      fc.record({
        sizes: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: n, maxLength: n }),
        order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      }),
    );

    await fc.assert(
      fc.asyncProperty(runArb, async ({ sizes, order }) => {
        // Created in index order (uploadedAt and ids follow it)…
        const records: FileRecord[] = [];
        for (const [i, rows] of sizes.entries()) {
          const saved = await h.producer.save(Readable.from([Buffer.from(sampleCsv(rows, i + 1))]));
          records.push(await h.producer.create(saved, `fifo-${i}.csv`));
        }
        // …enqueued in a random permutation.
        const enqueued = order.map((i) => records[i]);
        let arrive!: () => void;
        const reached = new Promise<void>((resolve) => (arrive = resolve));
        hold = { jobId: enqueued[0].jobId, release: () => undefined, reached, arrive };
        const firstAttempt = scripted.attempts.length;
        for (const record of enqueued) expect(await h.producer.enqueue(record)).toBe(true);
        await hold.reached;
        hold.release();

        const ids = enqueued.map((r) => r.jobId);
        await waitFor(async () => {
          const rs = await Promise.all(ids.map((id) => h.db.getFileRecordByJobId(id)));
          return rs.every((r) => r?.status === 'completed');
        }, 'every task of the run to complete');

        const started = scripted.attempts.slice(firstAttempt).map((a) => a.jobId);
        expect(started).toEqual(ids);
        // The database agrees: startedAt never goes backwards along the enqueue order.
        const stored = await Promise.all(ids.map((id) => h.db.getFileRecordByJobId(id)));
        const startTimes = stored.map((r) => r!.startedAt!.getTime());
        for (let i = 1; i < startTimes.length; i++) expect(startTimes[i]).toBeGreaterThanOrEqual(startTimes[i - 1]);
      }),
      { numRuns: 100 },
    );
  });
});
