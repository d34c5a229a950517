import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value of the API's work threads: below the event loop that must keep answering. */
const WORK_THREAD_NICE = 15;

/**
 * Lowers the calling worker thread's scheduling priority (Linux: a thread is a task with its own
 * id, found at /proc/thread-self). On a busy machine the API's event loop then gets the CPU before
 * a preview or a sync upload does, so health checks and status polls stay fast. Elsewhere a no-op.
 */
export function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, WORK_THREAD_NICE);
  } catch {
    // not Linux, or not permitted: run at normal priority
  }
}
