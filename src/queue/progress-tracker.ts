import type { Progress } from '../pipeline/types.js';
import type { TaskProgress } from './types.js';
import type { Phase } from '../domain/index.js';

export interface ProgressTrackerOptions {
  /** Minimum time between two published updates (phase changes are always published). */
  intervalMs: number;
  /** Where updates go (BullMQ job.updateProgress in workers); failures are the caller's to log. */
  publish: (progress: TaskProgress) => Promise<void> | void;
  now?: () => number;
}

/**
 * Turns the pipeline's progress callbacks into the task progress of SPEC R4: percentage =
 * round(100 × processed / total), the current phase, and an ETA from the observed row rate.
 * Updates are throttled by time, so Redis writes stay a negligible part of processing.
 *
 * While the total is an estimate it can grow; the reported percentage must still never go back,
 * so the reported total is then held at the largest value that keeps the previous percentage
 * (the reported numbers always satisfy progress = round(100 × processedRows / totalRows)).
 */
export class ProgressTracker {
  private readonly now: () => number;
  private lastPublishedAt = -Infinity;
  private lastPercent = 0;
  private lastPhase: Phase | undefined;
  private rateStartedAt: number | undefined;
  private latest: TaskProgress | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProgressTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The last computed progress (published or not). */
  get current(): TaskProgress | undefined {
    return this.latest;
  }

  /** Feeds one pipeline progress report; publishes when due. */
  update(input: Progress): void {
    const now = this.now();
    if (input.phase === 'cleaning' && this.rateStartedAt === undefined) this.rateStartedAt = now;
    const next = this.compute(input, now);
    this.latest = next;
    const phaseChanged = next.phase !== this.lastPhase;
    if (phaseChanged || now - this.lastPublishedAt >= this.options.intervalMs) {
      this.lastPhase = next.phase;
      this.lastPublishedAt = now;
      this.send(next);
    }
  }

  /** Resolves when every publish started so far has settled. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  private send(progress: TaskProgress): void {
    const previous = this.inFlight;
    // Publishes are chained so that Redis never sees an older update after a newer one.
    this.inFlight = previous.then(() => this.options.publish(progress)).catch(() => undefined);
  }

  private compute(input: Progress, now: number): TaskProgress {
    const processed = Math.max(0, input.processedRows);
    let total = Math.max(processed, input.totalRows);
    let percent = total > 0 ? Math.round((100 * processed) / total) : 0;
    if (percent < this.lastPercent && processed > 0) {
      // Largest total that still rounds to the previous percentage.
      total = Math.max(processed, Math.floor((100 * processed) / (this.lastPercent - 0.5)));
      while (total > processed && Math.round((100 * processed) / total) < this.lastPercent) total--;
      percent = Math.round((100 * processed) / total);
    }
    this.lastPercent = Math.max(this.lastPercent, percent);

    let eta: number | null = null;
    if (input.phase === 'done') eta = 0;
    else if (this.rateStartedAt !== undefined && processed > 0 && now > this.rateStartedAt) {
      const rate = processed / (now - this.rateStartedAt); // rows per ms
      eta = Math.ceil(Math.max(0, total - processed) / rate / 1000);
    }
    return {
      phase: input.phase,
      processedRows: processed,
      totalRows: total,
      totalIsEstimate: input.totalIsEstimate,
      progress: percent,
      estimatedTimeRemaining: eta,
      updatedAt: now,
    };
  }
}
