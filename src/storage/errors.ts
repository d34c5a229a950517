import { AppError } from '../errors.js';
import type { JobStatus } from '../domain/index.js';

/**
 * The attempt token a worker writes under is no longer the job's current one: another attempt
 * started (the job was declared stalled and handed to another worker), or the job was cancelled,
 * timed out or handed back to the queue. Nothing was written; the worker must stop this attempt
 * quietly. Code INVALID_STATE, so error classifiers treat it as permanent.
 */
export class StaleAttemptError extends AppError {
  constructor(
    readonly jobId: string,
    readonly attemptToken: string,
    /** The job's status when the write was refused (undefined: the record is gone). */
    readonly currentStatus: JobStatus | undefined,
  ) {
    super('INVALID_STATE', `处理尝试已失效（任务已被取消、超时或由其他进程接管）：${jobId}`, {
      jobId,
      attemptToken,
      currentStatus,
    });
    this.name = 'StaleAttemptError';
  }
}

/** Whether `err` is a {@link StaleAttemptError}. */
export function isStaleAttemptError(err: unknown): err is StaleAttemptError {
  return err instanceof StaleAttemptError;
}

/** AppError JOB_NOT_FOUND for a job id with no record. */
export function jobNotFound(jobId: string): AppError {
  return new AppError('JOB_NOT_FOUND', `任务不存在：${jobId}`, { jobId });
}
