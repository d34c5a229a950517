import { afterEach, describe, expect, it, vi } from 'vitest';
import { TaskTimeoutError, TimeoutManager } from '../../src/queue/timeout-manager.js';

describe('TimeoutManager.watch', () => {
  afterEach(() => vi.useRealTimers());

  it('aborts with a TaskTimeoutError when the limit is reached, not before', () => {
    vi.useFakeTimers();
    const manager = new TimeoutManager({ timeoutMs: () => 5000 });
    const controller = new AbortController();
    manager.watch(controller);
    vi.advanceTimersByTime(4999);
    expect(controller.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(controller.signal.reason).toBeInstanceOf(TaskTimeoutError);
    expect((controller.signal.reason as TaskTimeoutError).code).toBe('PROCESSING_TIMEOUT');
  });

  it('counts from the given start time', () => {
    vi.useFakeTimers();
    const manager = new TimeoutManager({ timeoutMs: () => 5000 });
    const controller = new AbortController();
    manager.watch(controller, Date.now() - 4000);
    vi.advanceTimersByTime(999);
    expect(controller.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(controller.signal.aborted).toBe(true);
  });

  it('does not fire at once for a limit beyond the 2^31-1 ms a timer supports', () => {
    vi.useFakeTimers();
    const manager = new TimeoutManager({ timeoutMs: () => 3_000_000_000 });
    const controller = new AbortController();
    manager.watch(controller);
    vi.advanceTimersByTime(60_000);
    expect(controller.signal.aborted).toBe(false);
  });

  it('disarming stops the timer', () => {
    vi.useFakeTimers();
    const manager = new TimeoutManager({ timeoutMs: () => 1000 });
    const controller = new AbortController();
    manager.watch(controller)();
    vi.advanceTimersByTime(5000);
    expect(controller.signal.aborted).toBe(false);
  });
});

describe('TimeoutManager.isOverdue', () => {
  it('is true only past the limit plus the grace', () => {
    let now = 100_000;
    const manager = new TimeoutManager({ timeoutMs: () => 10_000, now: () => now });
    expect(manager.isOverdue(now - 10_000, 500)).toBe(false);
    now += 501;
    expect(manager.isOverdue(100_000 - 10_000, 500)).toBe(true);
    expect(manager.isOverdue(new Date(now), 0)).toBe(false);
  });
});
