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
}

const SAMPLE_ROWS = 3;

export function newReview(id: string, file: File): ReviewItem {
  return { id, file, status: 'loading', result: null, error: null, overrides: {} };
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

/** What the board uploads for a reviewed file. */
export function uploadOf(item: ReviewItem): NewUpload {
  return { file: item.file, columnTypes: Object.keys(item.overrides).length > 0 ? item.overrides : undefined };
}

export function sampleValues(sheet: PreviewSheet, column: number): string[] {
  return sheet.sampleRows
    .slice(0, SAMPLE_ROWS)
    .map((row) => row[column])
    .filter((value) => value !== null && value !== undefined && value !== '')
    .map(String);
}
