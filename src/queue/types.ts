import type { Phase } from '../domain/index.js';

/** What a queued task carries; everything else is read from the file record. */
export interface TaskData {
  jobId: string;
  fileId: string;
}

/** Progress as stored on the BullMQ job (readable from any API instance). */
export interface TaskProgress {
  phase: Phase;
  processedRows: number;
  totalRows: number;
  totalIsEstimate: boolean;
  /** round(100 × processedRows / totalRows); never decreases within an attempt. */
  progress: number;
  /** Seconds, or null while unknown. */
  estimatedTimeRemaining: number | null;
  updatedAt: number;
}

/** The job's return value. */
export interface TaskResult {
  outcome: 'completed' | 'cancelled' | 'already-done';
  totalRows: number;
  cleanedRows: number;
  exceptionRows: number;
  processingTimeMs: number;
}

export const TASK_NAME = 'clean-file';
