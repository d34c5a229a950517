import { AppError } from '../errors.js';

/** The abort reason of a task that ran longer than JOB_TIMEOUT_MS. */
export class TaskTimeoutError extends AppError {
  constructor(readonly timeoutMs: number) {
    super('PROCESSING_TIMEOUT', `处理超时：超过最长处理时间 ${Math.round(timeoutMs / 1000)} 秒`, { timeoutMs });
  }
}

/** The longest delay a Node.js timer supports. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TimeoutManagerOptions {
  /** Read on every use, so a hot-reloaded JOB_TIMEOUT_MS applies to the next task. */
  timeoutMs: () => number;
  now?: () => number;
}

/**
 * Enforces the maximum processing time (SPEC R7.4/7.5). A running task gets a timer that aborts its
 * pipeline through the AbortSignal (the consumer then marks it `timeout`, removes its partial rows
 * and moves on); the recovery sweep asks isOverdue() about tasks whose worker disappeared.
 */
export class TimeoutManager {
  private readonly now: () => number;

  constructor(private readonly options: TimeoutManagerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Aborts `controller` with a TaskTimeoutError when the time is up; call the result to disarm. */
  watch(controller: AbortController, startedAt: number = this.now()): () => void {
    const limit = this.options.timeoutMs();
    // setTimeout fires at once for delays above 2^31-1 ms (~24.8 days): clamp, or a huge
    // JOB_TIMEOUT_MS would time out every task immediately.
    const remaining = Math.min(MAX_TIMER_MS, Math.max(0, startedAt + limit - this.now()));
    const timer = setTimeout(() => controller.abort(new TaskTimeoutError(limit)), remaining);
    timer.unref();
    return () => clearTimeout(timer);
  }

  /** True when a task started at `startedAt` has run past the limit plus `graceMs`. */
  isOverdue(startedAt: Date | number, graceMs = 0): boolean {
    const start = typeof startedAt === 'number' ? startedAt : startedAt.getTime();
    return this.now() - start > this.options.timeoutMs() + graceMs;
  }
}
