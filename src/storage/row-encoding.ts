/**
 * How result rows are encoded for the tables, shared by every dialect adapter:
 * - row values, field errors are JSON text (one column each);
 * - free text is made storable on every engine ({@link storableText});
 * - COPY text / LOAD DATA lines use the same tab-separated, backslash-escaped format
 *   (PostgreSQL's COPY text format and MySQL's LOAD DATA defaults agree on it).
 */
import type { ResultCounts } from './model.js';
import type { CleanRecord, ExceptionRecord, FieldError } from '../domain/index.js';

/** One batch of result rows of one attempt. */
export interface EncodedBatch {
  jobId: string;
  token: string;
  clean: readonly CleanRecord[];
  exceptions: readonly ExceptionRecord[];
  /** Readable reason per exception (same order); derived from the errors when absent. */
  reasons?: readonly string[];
}

/** Rows actually stored by one write (a row already present is not stored twice). */
export type WrittenCounts = ResultCounts;

/** The `error_logs.message` text when the caller gives none. */
export function defaultReason(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Free text as every dialect can store it: PostgreSQL rejects NUL characters, and a lone UTF-16
 * surrogate is not valid UTF-8; both become U+FFFD. (Row values are JSON, which escapes both.)
 */
export function storableText(text: string): string;
export function storableText(text: string | null): string | null;
export function storableText(text: string | null): string | null {
  return text === null ? null : text.replace(UNSTORABLE, '\uFFFD');
}

/** The reason text of exception `index`. */
export function reasonAt(batch: EncodedBatch, index: number): string {
  return storableText(batch.reasons?.[index] ?? defaultReason(batch.exceptions[index].errors));
}

const TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Escapes a value for the tab-separated text format (backslash, and the row/column separators). */
export function tsvText(value: string): string {
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => TEXT_ESCAPES[c]) : value;
}
