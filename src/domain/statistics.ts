import type { ColumnType } from './columns.js';
import type { FileFormat } from './formats.js';

/** Phases of a task as shown to users (SPEC R4.3). */
export type Phase = 'queued' | 'parsing' | 'cleaning' | 'saving' | 'exporting' | 'done';

/** Every {@link Phase}, in the order a task goes through them (progress never moves back in it). */
export const PHASES: readonly Phase[] = ['queued', 'parsing', 'cleaning', 'saving', 'exporting', 'done'];

/** What processing one file produced; always `totalRows = cleanedRows + exceptionRows`. */
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
  /** NUL characters removed from a CSV's text; present only when there were any. */
  removedNulBytes?: number;
}
