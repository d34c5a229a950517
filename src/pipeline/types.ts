import type { ParseLimits, TableDetails } from '../parsing/types.js';
import type { DedupeMode } from './duplicates.js';
import type { CleanRecord, ColumnType, ExceptionRecord, Phase, ProcessStatistics, SheetLayout } from '../domain/index.js';

export interface RecordBatch {
  clean: CleanRecord[];
  exceptions: ExceptionRecord[];
}

/**
 * Where processFile() sends its results. The CLI writes export files, the database sink stores rows.
 * Calls are strictly sequential: begin(), sheet() before the first batch of that sheet, finish() or abort() last.
 */
export interface RecordSink {
  /** Called once the file is open: what the reader learned (format, sheet count…). */
  begin?(details: TableDetails): Promise<void> | void;
  sheet(layout: SheetLayout): Promise<void> | void;
  write(batch: RecordBatch): Promise<void> | void;
  /** Called after the last batch: make every row durable (phase 'saving'). */
  flush?(): Promise<void> | void;
  /** Called once all rows are saved: produce the outputs and close (phase 'exporting'). */
  finish(stats: ProcessStatistics): Promise<void> | void;
  /** Called on any failure or abort; must release resources and remove partial outputs. */
  abort(reason: unknown): Promise<void> | void;
}

/**
 * What the parse-and-clean stage hands to the writing stage (see table-cleaner.ts). Plain data
 * only: the events cross a thread boundary when cleaning runs on a worker thread.
 */
export type CleanEvent =
  | { kind: 'begin'; details: TableDetails }
  | { kind: 'sheet'; layout: SheetLayout }
  | { kind: 'batch'; batch: RecordBatch; processedRows: number; estimatedTotalRows: number | undefined }
  | { kind: 'end'; stats: ProcessStatistics };

export interface Progress {
  phase: Phase;
  processedRows: number;
  /** Estimated until parsing has finished, then exact. */
  totalRows: number;
  totalIsEstimate: boolean;
}

export interface ProcessOptions {
  originalName?: string;
  /** Overrides of the detected column types, keyed by header name. */
  columnTypes?: Record<string, ColumnType>;
  encoding?: string;
  delimiter?: string;
  limits?: Partial<ParseLimits>;
  /** Rows per batch handed to the sink (default 1000). */
  batchSize?: number;
  signal?: AbortSignal;
  /**
   * Worker threads for parsing + cleaning (PIPELINE_THREADS): 0 runs them on the calling thread,
   * 1 (the default) on one thread that overlaps the writing done on the calling thread.
   */
  threads?: number;
  /** CSVs smaller than this are cleaned inline even when `threads` is 1 (PIPELINE_THREAD_MIN_BYTES); unset: 0. */
  threadMinBytes?: number;
  /** Old-generation heap limit of a cleaning thread in MB (PIPELINE_THREAD_MEMORY_MB); unset: V8's default. */
  threadMemoryMb?: number;
  /** Longest cell value-based column-type detection looks at (DETECTION_MAX_VALUE_CHARS); unset: 200. */
  detectionMaxValueChars?: number;
  /** 'exact': drop rows identical (after cleaning) to an earlier row into the exceptions; off by default. */
  dedupe?: DedupeMode;
  /** Called after every batch and on each phase change; callers throttle expensive reporting. */
  onProgress?: (progress: Progress) => void;
}
