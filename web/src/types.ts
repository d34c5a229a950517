/**
 * The REST contract of docs/API.md as the web UI sees it. Kept local to the web bundle on purpose:
 * the browser build must not pull server modules in.
 */

export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'timeout' | 'cancelled';
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled'];
export const FINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'timeout', 'cancelled'];

export type Phase = 'queued' | 'parsing' | 'cleaning' | 'saving' | 'exporting' | 'done';
export const PHASES: readonly Phase[] = ['queued', 'parsing', 'cleaning', 'saving', 'exporting', 'done'];

export type ColumnType = 'phone' | 'date' | 'address' | 'text' | 'number';
export const COLUMN_TYPES: readonly ColumnType[] = ['phone', 'date', 'address', 'text', 'number'];

export interface SheetStatistics {
  name: string;
  rows: number;
  columns: string[];
  types: ColumnType[];
}

export interface Statistics {
  totalRows: number;
  cleanedRows: number;
  exceptionRows: number;
  processingTimeMs: number;
  errorsByType: Record<string, number>;
  errorsByField: Record<string, number>;
  format?: string;
  encoding?: string;
  delimiter?: string;
  sheets?: SheetStatistics[];
}

/** `GET /api/data-cleaning/check-status/:taskId`, also the `data` of every SSE `progress` event. */
export interface StatusSnapshot {
  taskId: string;
  fileId: string | null;
  fileName: string | null;
  status: TaskStatus;
  progress: number;
  processedRows: number;
  totalRows: number | null;
  totalIsEstimate: boolean;
  currentPhase: Phase | null;
  estimatedTimeRemaining: number | null;
  statistics: Statistics | null;
  createdAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
}

export interface UploadAccepted {
  taskId: string;
  jobId: string;
  fileId: string;
  status: TaskStatus;
  message: string;
}

export interface TaskActionResult {
  taskId: string;
  status: TaskStatus;
  message: string;
}

export interface FileSummary {
  id: string;
  jobId: string;
  originalName: string;
  size: number;
  fileType: string;
  mimeType: string | null;
  status: TaskStatus;
  uploadedAt: string | null;
  enqueuedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  totalRows: number | null;
  cleanedRows: number | null;
  exceptionRows: number | null;
  processingTimeMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export type FileSortKey = 'uploadedAt' | 'originalName' | 'size' | 'status' | 'totalRows';
export type SortOrder = 'asc' | 'desc';

export interface FileListQuery {
  page?: number;
  pageSize?: number;
  status?: TaskStatus;
  startDate?: string;
  endDate?: string;
  sortBy?: FileSortKey;
  order?: SortOrder;
}

export interface FileList {
  files: FileSummary[];
  total: number;
  page: number;
  pageSize: number;
}

export interface FileDetail {
  file: FileSummary;
  statistics: Statistics | null;
}

export interface CleanRow {
  rowNumber: number;
  sheetName?: string | null;
  values: Record<string, string | number | boolean | null>;
}

export interface FieldError {
  field: string;
  value: string;
  errorType: string;
  message: string;
}

export interface ExceptionRow {
  rowNumber: number;
  sheetName?: string | null;
  originalData: Record<string, string | number | boolean | null>;
  errors: FieldError[];
  reason: string;
}

export interface Page<Row> {
  jobId: string;
  columns: string[];
  data: Row[];
  total: number;
  page: number;
  pageSize: number;
}

export interface PreviewSheet {
  name: string;
  headers: string[];
  detectedTypes: ColumnType[];
  sampleRows: (string | number | boolean | null)[][];
}

export interface PreviewResult {
  format: string;
  sheets: PreviewSheet[];
}

export interface QueueCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
  paused: number;
}

export interface RecentFailure {
  taskId: string;
  fileName: string | null;
  status: TaskStatus;
  errorCode: string | null;
  errorMessage: string | null;
  failedAt: string | null;
}

export interface QueueStats {
  counts: QueueCounts;
  workers: number;
  throughput: { jobsPerMinute: number; rowsPerSecond: number };
  errorRate: number;
  recentFailures: RecentFailure[];
  timestamp: string;
}

export interface ClientConfig {
  maxFileSize: number;
  acceptedExtensions: string[];
  columnTypes: ColumnType[];
  authRequired: boolean;
  version: string;
}

/** The common error body of every failed API call. */
export interface ErrorBody {
  statusCode: number;
  errorCode: string;
  message: string;
  details?: unknown;
  timestamp?: string;
}

export function isFinalStatus(status: string): status is 'completed' | 'failed' | 'timeout' | 'cancelled' {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}
