import type { ColumnType, ExceptionRecord, FileFormat, JobStatus, ProcessStatistics, SheetLayout } from '../domain/index.js';

/** The SQL engines the storage layer speaks, chosen by the scheme of `DATABASE_URL`. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** One uploaded file and the task that processes it (a row of `file_records`). */
export interface FileRecord {
  /** File id (uuid), the `fileId` of the API. */
  id: string;
  /** Task id (uuid), the `jobId`/`taskId` of the API and the BullMQ job id. */
  jobId: string;
  originalName: string;
  /** Bytes of the uploaded file. */
  size: number;
  fileType: FileFormat;
  mimeType: string;
  status: JobStatus;
  /** File-store key of the uploaded file (see FileStore.path). */
  storageKey: string;
  /** Column types chosen by the uploader, keyed by header; null when none were given. */
  columnTypes: Record<string, ColumnType> | null;
  uploadedAt: Date;
  /** When the task was last put on the queue; null while it never reached the queue. */
  enqueuedAt: Date | null;
  /** Start of the latest processing attempt. */
  startedAt: Date | null;
  /** When the job reached a final status (completed, failed, timeout or cancelled). */
  completedAt: Date | null;
  totalRows: number;
  cleanedRows: number;
  exceptionRows: number;
  /** Processing time of the successful attempt; null until completed. */
  processingTimeMs: number | null;
  statistics: ProcessStatistics | null;
  /** How every sheet was cleaned; null until completed. */
  layout: SheetLayout[] | null;
  /** Why the job failed (an ErrorCode or a driver/system code); null unless failed. */
  errorCode: string | null;
  errorMessage: string | null;
  /** Number of processing attempts started so far. */
  attempts: number;
  /** Token of the current processing attempt; null when no attempt is running. */
  attemptToken: string | null;
  updatedAt: Date;
  /** Text encoding the uploader chose for a CSV (e.g. 'gb18030'); null: detect. */
  encoding: string | null;
  /** Field delimiter the uploader chose for a CSV (e.g. ';', '\t'); null: detect. */
  delimiter: string | null;
  /** Duplicate-row handling the uploader chose (e.g. 'exact'); null: off. */
  dedupe: string | null;
}

/** What the upload path knows when it creates a record; the record starts `pending`. */
export interface NewFileRecord {
  id: string;
  jobId: string;
  originalName: string;
  size: number;
  fileType: FileFormat;
  mimeType: string;
  storageKey: string;
  columnTypes?: Record<string, ColumnType> | null;
  /** Defaults to the database clock (`options.now`). */
  uploadedAt?: Date;
  /** Per-upload options carried to the worker (see {@link FileRecord}); absent or null: none. */
  encoding?: string | null;
  delimiter?: string | null;
  dedupe?: string | null;
}

/**
 * Fields the API and queue layers may change directly. A `status` change is validated
 * (see {@link canTransition}); `processing` and `completed` are reached only through
 * `startAttempt`/`completeAttempt`, which own the attempt token and the row counts.
 */
export interface FileRecordPatch {
  status?: JobStatus;
  enqueuedAt?: Date | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

/** Columns the file list can be sorted by. */
export type FileSortKey = 'uploadedAt' | 'originalName' | 'size' | 'status' | 'totalRows';
/** Every {@link FileSortKey} (the API's `sortBy` values). */
export const FILE_SORT_KEYS: readonly FileSortKey[] = ['uploadedAt', 'originalName', 'size', 'status', 'totalRows'];

/** A page of the file list (`GET /files`). Pages start at 1. */
export interface ListFilesQuery {
  page: number;
  pageSize: number;
  status?: JobStatus;
  /** Inclusive lower bound of `uploadedAt`. */
  startDate?: Date;
  /** Inclusive upper bound of `uploadedAt`. */
  endDate?: Date;
  /** Default `uploadedAt`; ties are broken by id so pages never overlap. */
  sortBy?: FileSortKey;
  /** Default `desc` (newest first). */
  order?: 'asc' | 'desc';
}

/** A page request for result rows. Pages start at 1. */
export interface PageQuery {
  page: number;
  pageSize: number;
}

/** An exception as stored: the record plus its readable reason text (column `error_logs.message`). */
export interface StoredException extends ExceptionRecord {
  reason: string;
}

/** Result rows stored for one job. */
export interface ResultCounts {
  cleanRows: number;
  exceptionRows: number;
}

/** What a successful attempt reports to `completeAttempt`. */
export interface AttemptResult {
  totalRows: number;
  cleanedRows: number;
  exceptionRows: number;
  processingTimeMs: number;
  statistics: ProcessStatistics;
  layout: SheetLayout[];
}

/** Files that belonged to a deleted job; the caller removes them from the file store. */
export interface RemovedJobFiles {
  jobId: string;
  fileId: string;
  storageKey: string;
}

/** Filters and order of `findRecordsByStatus`. */
export interface FindByStatusOptions {
  /**
   * `updatedAtAsc` (default): least recently changed first — what the recovery manager scans.
   * `completedAtDesc`: most recently finished first — e.g. the latest failures on the dashboard.
   */
  orderBy?: 'updatedAtAsc' | 'completedAtDesc';
  /** Only records whose last change is older than this. */
  updatedBefore?: Date;
  /** `false`: only records that never reached the queue; `true`: only enqueued ones. */
  enqueued?: boolean;
  limit: number;
}

/** Jobs that reached a final status since a given time (queue statistics, SPEC R9.3). */
export interface ActivitySummary {
  completed: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  /** Rows (clean + exceptions) of the completed jobs. */
  completedRows: number;
  /** Sum of the completed jobs' processing times. */
  processingTimeMs: number;
}

/** The slice of a pino logger the database uses (migrations applied, connection trouble). */
export interface StorageLogger {
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
}
