import type { CleanRecord, ColumnType, ExceptionRecord, SheetLayout } from '../cleaning/types.js';
import type { FileFormat, ParseLimits, TableDetails } from '../parsing/types.js';

export type { CleanRecord, ExceptionRecord, SheetLayout };

export type Phase = 'queued' | 'parsing' | 'cleaning' | 'saving' | 'exporting' | 'done';

export interface RecordBatch {
  clean: CleanRecord[];
  exceptions: ExceptionRecord[];
}

export interface ProcessStatistics {
  totalRows: number;
  cleanedRows: number;
  exceptionRows: number;
  /** Count of failing fields per error type, e.g. { INVALID_PHONE: 12 }. */
  errorsByType: Record<string, number>;
  /** Count of failing fields per column header. */
  errorsByField: Record<string, number>;
  processingTimeMs: number;
  format: FileFormat;
  encoding?: string;
  delimiter?: string;
  sheets: { name: string; rows: number; columns: string[]; types: ColumnType[] }[];
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
  /** Called after every batch and on each phase change; callers throttle expensive reporting. */
  onProgress?: (progress: Progress) => void;
}
