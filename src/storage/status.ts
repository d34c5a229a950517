import { AppError } from '../errors.js';
import type { JobStatus } from '../domain/index.js';

/**
 * Legal status changes (SPEC R2.4 plus what recovery needs):
 * - pending → processing (an attempt starts), cancelled, failed (a permanent error found before
 *   processing, e.g. the stored file is gone);
 * - processing → processing (a new attempt after a crashed one), completed, failed, timeout,
 *   cancelled, pending (the attempt is handed back to the queue: shutdown or automatic retry);
 * - failed | timeout | cancelled → pending (manual retry);
 * - completed is final.
 */
const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  pending: ['processing', 'cancelled', 'failed'],
  processing: ['processing', 'completed', 'failed', 'timeout', 'cancelled', 'pending'],
  completed: [],
  failed: ['pending'],
  timeout: ['pending'],
  cancelled: ['pending'],
};

/** Whether a job may move from `from` to `to`. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws AppError INVALID_STATE unless the job may move from `from` to `to`. */
export function assertTransition(jobId: string, from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError('INVALID_STATE', `任务状态不允许此操作：${from} → ${to}`, { jobId, from, to });
  }
}
