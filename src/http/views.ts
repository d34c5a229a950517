import type { QueueManager } from '../queue/queue-manager.js';
import { callQueue } from '../queue/task-producer.js';
import type { FileRecord } from '../storage/index.js';
import { AppError } from '../errors.js';
import type { Phase } from '../domain/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertTaskId(id: string): void {
  if (!UUID.test(id)) throw new AppError('INVALID_TASK_ID', `任务ID格式无效：${id.slice(0, 80)}`);
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export const FINAL_STATUSES = new Set(['completed', 'failed', 'timeout', 'cancelled']);

export function fileSummary(r: FileRecord) {
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

export interface TaskStatusView {
  taskId: string;
  fileId: string;
  fileName: string;
  status: FileRecord['status'];
  progress: number;
  processedRows: number;
  totalRows: number;
  totalIsEstimate: boolean;
  currentPhase: Phase;
  estimatedTimeRemaining: number | null;
  statistics: unknown;
  createdAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
}

/**
 * The full task status (SPEC R5): the database record is the truth for status, times and results;
 * the queue adds live progress while the task runs. When Redis is unreachable the answer is still
 * complete, from the database alone.
 */
export async function taskStatus(record: FileRecord, queue: QueueManager | undefined): Promise<TaskStatusView> {
  const base: TaskStatusView = {
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
  if (FINAL_STATUSES.has(record.status)) {
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
