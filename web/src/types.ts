/**
 * The REST contract of docs/API.md as the web UI sees it.
 *
 * The facts the server defines once (statuses, phases, column types, formats, statistics, field
 * errors) come from `src/domain`, the server's leaf module: it imports nothing and holds only
 * types and constant lists, so the bundle takes a few arrays from it and nothing else. This file is
 * the web's only door into `src/` (checked by `architecture.test.ts`). The response shapes below
 * are the UI's own view of the JSON.
 */
import {
  CLIENT_HEADER,
  COLUMN_TYPES,
  FINAL_STATUSES,
  JOB_STATUSES,
  PHASES,
  type ColumnType,
  type FieldError,
  type FileFormat,
  type JobStatus,
  type Phase,
  type ProcessStatistics,
  type UnsuccessfulStatus,
} from '../../src/domain/index.js';

export { CLIENT_HEADER, COLUMN_TYPES, PHASES };
export type { ColumnType, FieldError, Phase };

/** The API names a job's life cycle after its task id. */
export type TaskStatus = JobStatus;
export const TASK_STATUSES = JOB_STATUSES;
type FinalStatus = 'completed' | UnsuccessfulStatus;

/** The `statistics` of a finished task, exactly as the pipeline stored them. */
export type Statistics = ProcessStatistics;

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

/** The form fields an upload may carry next to the file (`POST /api/data-cleaning/upload`). */
export interface UploadFields {
  /** Header → type, overriding detection for those columns. */
  columnTypes?: Record<string, ColumnType>;
  /** CSV only: text encoding (e.g. gb18030); absent: detected by the server. */
  encoding?: string;
  /** CSV only: field delimiter (one character); absent: detected by the server. */
  delimiter?: string;
  /** `exact`: rows identical to an earlier one go to the exceptions. */
  dedupe?: 'exact';
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
  fileType: FileFormat;
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
  format: FileFormat;
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

export function isFinalStatus(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}
