/** Life cycle of a task (SPEC R2.4); legal transitions live in `storage/status.ts`. */
export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'timeout' | 'cancelled';

/** Every {@link JobStatus}, in life-cycle order. */
export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled'];

/** Statuses a job does not leave by itself; only a retry (→ pending) moves failed/timeout/cancelled on. */
export const FINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'timeout', 'cancelled'];

/** The ways an attempt can end other than success. */
export type UnsuccessfulStatus = 'failed' | 'timeout' | 'cancelled';
