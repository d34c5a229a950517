import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/pipeline/types.js';
import { ProgressTracker } from '../../src/queue/progress-tracker.js';
import type { TaskProgress } from '../../src/queue/types.js';

function tracker(intervalMs = 0) {
  const clock = { now: 0 };
  const published: TaskProgress[] = [];
  const t = new ProgressTracker({ intervalMs, now: () => clock.now, publish: (p) => void published.push(p) });
  const feed = async (at: number, progress: Progress) => {
    clock.now = at;
    t.update(progress);
    await t.settled();
  };
  return { t, clock, published, feed };
}

const cleaning = (processedRows: number, totalRows: number): Progress => ({ phase: 'cleaning', processedRows, totalRows, totalIsEstimate: true });

describe('ProgressTracker', () => {
  it('reports round(100 × processed / total)', async () => {
    const { published, feed } = tracker();
    await feed(0, cleaning(1, 3));
    await feed(1, cleaning(2, 3));
    expect(published.map((p) => p.progress)).toEqual([33, 67]);
  });

  it('reports 0 % (not NaN) before any total is known', async () => {
    const { published, feed } = tracker();
    await feed(0, { phase: 'parsing', processedRows: 0, totalRows: 0, totalIsEstimate: true });
    expect(published[0]).toMatchObject({ progress: 0, processedRows: 0, totalRows: 0, estimatedTimeRemaining: null });
  });

  it('holds the percentage when a growing estimate would lower it, keeping progress consistent with the numbers', async () => {
    const { published, feed } = tracker();
    await feed(0, cleaning(50, 100));
    await feed(1, cleaning(60, 200)); // 30 % by the raw numbers
    const last = published.at(-1)!;
    expect(last.progress).toBe(50);
    expect(last.processedRows).toBe(60);
    // The largest total that still rounds to 50 %: 60 / 121 = 49.6 %.
    expect(last.totalRows).toBe(121);
    expect(Math.round((100 * last.processedRows) / last.totalRows)).toBe(last.progress);
  });

  it('never reports a total below the processed rows', async () => {
    const { published, feed } = tracker();
    await feed(0, cleaning(500, 300));
    expect(published[0]).toMatchObject({ processedRows: 500, totalRows: 500, progress: 100 });
  });

  it('estimates the remaining time from the rate observed since cleaning started', async () => {
    const { published, feed } = tracker();
    await feed(0, { phase: 'parsing', processedRows: 0, totalRows: 0, totalIsEstimate: true });
    await feed(1000, cleaning(0, 10_000));
    await feed(3000, cleaning(2000, 10_000)); // 1 row/ms, 8000 rows left
    expect(published.at(-1)!.estimatedTimeRemaining).toBe(8);
  });

  it('reports 100 % and no remaining time when done', async () => {
    const { published, feed } = tracker();
    await feed(0, cleaning(10, 20));
    await feed(5, { phase: 'done', processedRows: 20, totalRows: 20, totalIsEstimate: false });
    expect(published.at(-1)).toMatchObject({ phase: 'done', progress: 100, estimatedTimeRemaining: 0, totalIsEstimate: false });
  });

  it('publishes at most once per interval, but every phase change at once', async () => {
    const { published, feed } = tracker(1000);
    await feed(0, cleaning(1, 100));
    await feed(500, cleaning(2, 100));
    await feed(999, cleaning(3, 100));
    await feed(1000, cleaning(4, 100));
    await feed(1001, { phase: 'saving', processedRows: 100, totalRows: 100, totalIsEstimate: false });
    await feed(1002, { phase: 'exporting', processedRows: 100, totalRows: 100, totalIsEstimate: false });
    expect(published.map((p) => [p.phase, p.processedRows])).toEqual([
      ['cleaning', 1],
      ['cleaning', 4],
      ['saving', 100],
      ['exporting', 100],
    ]);
  });

  it('keeps the latest computed value even when it is not published', async () => {
    const { t, published, feed } = tracker(1000);
    await feed(0, cleaning(1, 100));
    await feed(10, cleaning(7, 100));
    expect(published).toHaveLength(1);
    expect(t.current).toMatchObject({ processedRows: 7, progress: 7 });
  });

  it('keeps publishing after a failed publish (e.g. Redis briefly away)', async () => {
    const clock = { now: 0 };
    const delivered: number[] = [];
    let calls = 0;
    const t = new ProgressTracker({
      intervalMs: 0,
      now: () => clock.now,
      publish: async (p) => {
        if (++calls === 1) throw new Error('redis down');
        delivered.push(p.processedRows);
      },
    });
    t.update(cleaning(1, 10));
    clock.now = 1;
    t.update(cleaning(2, 10));
    await t.settled();
    expect(delivered).toEqual([2]);
  });
});
