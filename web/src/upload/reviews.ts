/**
 * The header previews shown before an upload ("review first"), framework-free.
 *
 * Rules:
 * - A review starts `loading` with no overrides; the preview answer makes it `ready` (with the
 *   detected sheets) or `error`. An answer for a review that is gone changes nothing.
 * - Choosing a type for a column overrides the detected one; choosing "auto" (null) removes the
 *   override again.
 * - The upload of a reviewed file carries `columnTypes` only when at least one column is
 *   overridden, so an untouched review uploads exactly like a file that was never reviewed.
 * - A column's samples are its non-empty values in the first {@link SAMPLE_ROWS} sample rows, as text.
 * - A CSV's encoding and delimiter (null: the server detects them) apply to its preview and its
 *   upload; changing one asks for the preview again. A workbook has neither.
 * - Dedupe is off unless ticked; the upload then carries `dedupe: 'exact'`.
 */
import type { ErrorInfo } from '../i18n/errors.js';
import type { NewUpload } from '../progress/board.js';
import type { ColumnType, PreviewResult, PreviewSheet } from '../types.js';

export interface ReviewItem {
  id: string;
  file: File;
  status: 'loading' | 'ready' | 'error';
  result: PreviewResult | null;
  error: ErrorInfo | null;
  /** Header name → chosen type; absent = keep the detected type. */
  overrides: Record<string, ColumnType>;
  /** CSV settings chosen by the user; null = detected. */
  csv: { encoding: string | null; delimiter: string | null };
  dedupe: boolean;
}

/** Encodings offered for a CSV (WHATWG labels the server accepts). */
export const CSV_ENCODINGS = ['utf-8', 'gb18030', 'big5', 'utf-16le', 'utf-16be'] as const;
/** Delimiters offered for a CSV, by their dictionary name. */
export const CSV_DELIMITERS = { comma: ',', semicolon: ';', tab: '\t', pipe: '|' } as const;

const SAMPLE_ROWS = 3;

export function newReview(id: string, file: File): ReviewItem {
  return { id, file, status: 'loading', result: null, error: null, overrides: {}, csv: { encoding: null, delimiter: null }, dedupe: false };
}

function update(list: readonly ReviewItem[], id: string, change: (item: ReviewItem) => ReviewItem): ReviewItem[] {
  return list.map((item) => (item.id === id ? change(item) : item));
}

export function withPreview(list: readonly ReviewItem[], id: string, result: PreviewResult): ReviewItem[] {
  return update(list, id, (item) => ({ ...item, status: 'ready', result }));
}

export function withPreviewError(list: readonly ReviewItem[], id: string, error: ErrorInfo): ReviewItem[] {
  return update(list, id, (item) => ({ ...item, status: 'error', error }));
}

export function withOverride(list: readonly ReviewItem[], id: string, header: string, type: ColumnType | null): ReviewItem[] {
  return update(list, id, (item) => {
    const overrides = { ...item.overrides };
    if (type) overrides[header] = type;
    else delete overrides[header];
    return { ...item, overrides };
  });
}

/** A CSV setting changed: the preview is asked for again (back to loading). */
export function withCsvOption(list: readonly ReviewItem[], id: string, key: 'encoding' | 'delimiter', value: string | null): ReviewItem[] {
  return update(list, id, (item) => ({ ...item, csv: { ...item.csv, [key]: value }, status: 'loading', result: null, error: null }));
}

export function withDedupe(list: readonly ReviewItem[], id: string, on: boolean): ReviewItem[] {
  return update(list, id, (item) => ({ ...item, dedupe: on }));
}

/** The CSV settings to send (none chosen: none sent). */
export function csvFields(item: ReviewItem): { encoding?: string; delimiter?: string } {
  return { ...(item.csv.encoding ? { encoding: item.csv.encoding } : {}), ...(item.csv.delimiter ? { delimiter: item.csv.delimiter } : {}) };
}

/** What the board uploads for a reviewed file. */
export function uploadOf(item: ReviewItem): NewUpload {
  return {
    file: item.file,
    columnTypes: Object.keys(item.overrides).length > 0 ? item.overrides : undefined,
    ...csvFields(item),
    ...(item.dedupe ? { dedupe: 'exact' as const } : {}),
  };
}

export function sampleValues(sheet: PreviewSheet, column: number): string[] {
  return sheet.sampleRows
    .slice(0, SAMPLE_ROWS)
    .map((row) => row[column])
    .filter((value) => value !== null && value !== undefined && value !== '')
    .map(String);
}
