/**
 * 属性8 (SPEC R4): ProgressTracker over random pipeline progress reports — processed rows that
 * only grow, totals that are estimates (growing or shrinking) until parsing ends, phases in
 * pipeline order, and an injected clock:
 * - every published update satisfies progress = round(100 × processedRows / totalRows), with
 *   processedRows equal to the reported one and 0 ≤ progress ≤ 100;
 * - published progress never decreases;
 * - published phases follow the pipeline order and every phase reached is published;
 * - throttling: an update in the same phase as the last published one is published only when
 *   the interval has passed since that publish (and then it is); phase changes always are;
 * - ETA is null or a non-negative integer, and 0 once done; the final update reads 100 %.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/pipeline/types.js';
import { ProgressTracker } from '../../src/queue/progress-tracker.js';
import type { TaskProgress } from '../../src/queue/types.js';
import type { Phase } from '../../src/domain/index.js';

const PHASE_ORDER: Phase[] = ['queued', 'parsing', 'cleaning', 'saving', 'exporting', 'done'];

interface Step {
  dtMs: number;
  rows: number;
  /** Estimate relative to the true total, in percent (the estimate drifts up and down). */
  estimatePercent: number;
}

/** A pipeline run as processFile reports it: parsing, cleaning batches, then the exact phases. */
const runArb = fc.record({
  intervalMs: fc.integer({ min: 10, max: 1000 }),
  trueTotal: fc.integer({ min: 1, max: 5_000_000 }),
  steps: fc.array(
    fc.record({
      dtMs: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2000 })),
      rows: fc.integer({ min: 0, max: 400_000 }),
      estimatePercent: fc.oneof(fc.constant(100), fc.integer({ min: 1, max: 400 })),
    }),
    { maxLength: 60 },
  ),
  endDtMs: fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 3, maxLength: 3 }),
  startsQueued: fc.boolean(),
});

function pipelineReports(run: { trueTotal: number; steps: Step[]; endDtMs: number[]; startsQueued: boolean }) {
  const reports: { atDelta: number; progress: Progress }[] = [];
  if (run.startsQueued) reports.push({ atDelta: 0, progress: { phase: 'queued', processedRows: 0, totalRows: 0, totalIsEstimate: true } });
  reports.push({ atDelta: 0, progress: { phase: 'parsing', processedRows: 0, totalRows: 0, totalIsEstimate: true } });
  let processed = 0;
  const cleaningFirst = {
    atDelta: 0,
    progress: { phase: 'cleaning' as Phase, processedRows: 0, totalRows: Math.round(run.trueTotal * 0.9), totalIsEstimate: true },
  };
  reports.push(cleaningFirst);
  for (const step of run.steps) {
    processed = Math.min(run.trueTotal, processed + step.rows);
    reports.push({
      atDelta: step.dtMs,
      progress: { phase: 'cleaning', processedRows: processed, totalRows: Math.round((run.trueTotal * step.estimatePercent) / 100), totalIsEstimate: true },
    });
  }
  processed = run.trueTotal;
  reports.push({ atDelta: run.endDtMs[0], progress: { phase: 'cleaning', processedRows: processed, totalRows: run.trueTotal, totalIsEstimate: true } });
  for (const [i, phase] of (['saving', 'exporting', 'done'] as Phase[]).entries()) {
    reports.push({ atDelta: run.endDtMs[i], progress: { phase, processedRows: processed, totalRows: processed, totalIsEstimate: false } });
  }
  return reports;
}

describe('属性8: ProgressTracker', () => {
  it('publishes exact, monotonic, phase-ordered, throttled progress with a sane ETA', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        let now = 1_700_000_000_000;
        const published: { at: number; p: TaskProgress }[] = [];
        const tracker = new ProgressTracker({ intervalMs: run.intervalMs, publish: (p) => void published.push({ at: now, p }), now: () => now });
        const reports = pipelineReports(run);
        const phasesSeen: Phase[] = [];

        for (const { atDelta, progress } of reports) {
          now += atDelta;
          const before = published.length;
          const lastPublished = published.at(-1);
          tracker.update(progress);
          await tracker.settled(); // publishes are chained on promises
          if (phasesSeen.at(-1) !== progress.phase) phasesSeen.push(progress.phase);

          const wasPublished = published.length > before;
          expect(published.length - before).toBeLessThanOrEqual(1);
          // Throttling.
          if (!lastPublished || lastPublished.p.phase !== progress.phase) expect(wasPublished).toBe(true);
          else expect(wasPublished).toBe(now - lastPublished.at >= run.intervalMs);
          // The current value is computed even when not published.
          expect(tracker.current?.processedRows).toBe(progress.processedRows);
          expect(tracker.current?.phase).toBe(progress.phase);
        }

        for (const [i, { p }] of published.entries()) {
          expect(p.totalRows).toBeGreaterThanOrEqual(p.processedRows);
          expect(p.progress).toBe(p.totalRows > 0 ? Math.round((100 * p.processedRows) / p.totalRows) : 0);
          expect(p.progress).toBeGreaterThanOrEqual(0);
          expect(p.progress).toBeLessThanOrEqual(100);
          if (i > 0) {
            const prev = published[i - 1].p;
            expect(p.progress).toBeGreaterThanOrEqual(prev.progress);
            expect(p.processedRows).toBeGreaterThanOrEqual(prev.processedRows);
            expect(PHASE_ORDER.indexOf(p.phase)).toBeGreaterThanOrEqual(PHASE_ORDER.indexOf(prev.phase));
          }
          if (p.estimatedTimeRemaining !== null) {
            expect(Number.isInteger(p.estimatedTimeRemaining)).toBe(true);
            expect(p.estimatedTimeRemaining).toBeGreaterThanOrEqual(0);
          }
          if (!p.totalIsEstimate) expect(p.totalRows).toBe(p.processedRows);
        }
        // Every phase reached was published, in order.
        expect([...new Set(published.map(({ p }) => p.phase))]).toEqual(phasesSeen);
        const last = published.at(-1)!.p;
        expect(last).toMatchObject({ phase: 'done', progress: 100, processedRows: run.trueTotal, totalRows: run.trueTotal, estimatedTimeRemaining: 0 });
        // Rate limit overall: at most one publish per interval, plus one per phase change.
        const duration = published.at(-1)!.at - published[0].at;
        expect(published.length).toBeLessThanOrEqual(Math.floor(duration / run.intervalMs) + 1 + phasesSeen.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('delivers publishes in order even when each publish takes a random time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }), async (delays) => {
        let now = 0;
        const delivered: number[] = [];
        let call = 0;
        const tracker = new ProgressTracker({
          intervalMs: 10,
          now: () => now,
          publish: async (p) => {
            const delay = delays[call++ % delays.length];
            await new Promise((r) => setTimeout(r, delay));
            delivered.push(p.processedRows);
          },
        });
        tracker.update({ phase: 'parsing', processedRows: 0, totalRows: 0, totalIsEstimate: true });
        for (let i = 1; i <= delays.length; i++) {
          now += 10;
          tracker.update({ phase: 'cleaning', processedRows: i, totalRows: delays.length, totalIsEstimate: true });
        }
        await tracker.settled();
        // Redis must never see an older update after a newer one.
        expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
        expect(delivered.at(-1)).toBe(delays.length);
      }),
      { numRuns: 100 },
    );
  });
});
