/**
 * How result rows are encoded for the tables, shared by every dialect adapter:
 * - row values, field errors are JSON text (one column each);
 * - free text is made storable on every engine ({@link storableText});
 * - COPY text / LOAD DATA lines use the same tab-separated, backslash-escaped format
 *   (PostgreSQL's COPY text format and MySQL's LOAD DATA defaults agree on it).
 */
import type { AttemptOwner } from './attempt-fence.js';
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
function tsvText(value: string): string {
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => TEXT_ESCAPES[c]) : value;
}

/** A clean row as a line of tab-separated text: file_key, attempt, sheet_index, row_number, data. */
export function cleanLine({ fileKey, attempt }: AttemptOwner, r: CleanRecord): string {
  return `${fileKey}\t${attempt}\t${r.sheetIndex}\t${r.rowNumber}\t${tsvText(JSON.stringify(r.values))}\n`;
}

/** Exception `i` as a line: file_key, attempt, sheet_index, row_number, data, errors, message. */
export function exceptionLine({ fileKey, attempt }: AttemptOwner, batch: EncodedBatch, i: number): string {
  const r = batch.exceptions[i];
  return `${fileKey}\t${attempt}\t${r.sheetIndex}\t${r.rowNumber}\t${tsvText(JSON.stringify(r.values))}\t${tsvText(JSON.stringify(r.errors))}\t${tsvText(reasonAt(batch, i))}\n`;
}

/**
 * Lines for `count` rows, produced lazily `rowsPerPiece` rows at a time: the server parses and
 * stores the first rows while the client still encodes the next ones, and memory stays at one piece.
 */
export function* linePieces(count: number, rowsPerPiece: number, line: (index: number) => string): Generator<string> {
  for (let start = 0; start < count; start += rowsPerPiece) {
    let text = '';
    for (let i = start; i < Math.min(count, start + rowsPerPiece); i++) text += line(i);
    yield text;
  }
}
