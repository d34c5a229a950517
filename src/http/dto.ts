/**
 * Response bodies built from storage records (DTO mappers): a file summary, and a task's full
 * status, which joins the database record with the queue's live progress. Shapes: schemas.ts.
 */
import type { Static } from 'typebox';
import { FINAL_STATUSES } from '../domain/index.js';
import type { QueueManager } from '../queue/queue-manager.js';
import { callQueue } from '../queue/task-producer.js';
import type { FileRecord } from '../storage/index.js';
import type { FileSummary, TaskStatus } from './schemas.js';

export type FileSummaryDto = Static<typeof FileSummary>;
export type TaskStatusDto = Static<typeof TaskStatus>;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function fileSummaryDto(r: FileRecord): FileSummaryDto {
  return {
    id: r.id,
    jobId: r.jobId,
    originalName: r.originalName,
    size: r.size,
    fileType: r.fileType,
    mimeType: r.mimeType,
    status: r.status,
    uploadedAt: iso(r.uploadedAt),
    enqueuedAt: iso(r.enqueuedAt),
    startedAt: iso(r.startedAt),
    completedAt: iso(r.completedAt),
    totalRows: r.totalRows,
    cleanedRows: r.cleanedRows,
    exceptionRows: r.exceptionRows,
    processingTimeMs: r.processingTimeMs,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
  };
}

/**
 * The full task status (SPEC R5): the database record is the truth for status, times and results;
 * the queue adds live progress while the task runs. When Redis is unreachable the answer is still
 * complete, from the database alone.
 */
export async function taskStatusDto(record: FileRecord, queue: QueueManager | undefined): Promise<TaskStatusDto> {
  const base: TaskStatusDto = {
    taskId: record.jobId,
    fileId: record.id,
    fileName: record.originalName,
    status: record.status,
    progress: 0,
    processedRows: 0,
    totalRows: record.totalRows ?? 0,
    totalIsEstimate: false,
    currentPhase: 'queued',
    estimatedTimeRemaining: null,
    statistics: null,
    createdAt: iso(record.uploadedAt),
    startedAt: iso(record.startedAt),
    completedAt: iso(record.completedAt),
    errorCode: record.errorCode,
    errorMessage: record.errorMessage,
    attempts: record.attempts,
  };
  if (record.status === 'completed') {
    return { ...base, progress: 100, processedRows: record.totalRows, currentPhase: 'done', estimatedTimeRemaining: 0, statistics: record.statistics };
  }
  if (record.status === 'pending') {
    // While a retry waits, the last attempt's error is informative; while first queued there is none.
    return base;
  }
  let live;
  try {
    live = queue ? await callQueue(queue, () => queue.getTaskState(record.jobId)) : undefined;
  } catch {
    live = undefined; // Redis down or slow: answer from the database
  }
  const p = live?.progress;
  if (FINAL_STATUSES.includes(record.status)) {
    // A failed, timed-out or cancelled task keeps showing how far it got (while the queue still
    // holds its job); it never claims an ETA.
    return p
      ? { ...base, progress: p.progress, processedRows: p.processedRows, totalRows: p.totalRows, totalIsEstimate: p.totalIsEstimate, currentPhase: p.phase }
      : base;
  }
  if (!p) return { ...base, currentPhase: 'parsing' };
  return {
    ...base,
    progress: p.progress,
    processedRows: p.processedRows,
    totalRows: p.totalRows,
    totalIsEstimate: p.totalIsEstimate,
    currentPhase: p.phase,
    estimatedTimeRemaining: p.estimatedTimeRemaining,
  };
}
