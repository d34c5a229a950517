/** Client-side checks before an upload, with the server's limits from `GET /api/config`. */
import type { ErrorInfo } from '../i18n/errors.js';
import { formatBytes } from '../i18n/translate.js';
import type { ClientConfig } from '../types.js';

export interface UploadLimits {
  /** Bytes; null when the server's limit is not known (the server still checks). */
  maxFileSize: number | null;
  acceptedExtensions: readonly string[];
}

export const DEFAULT_LIMITS: UploadLimits = { maxFileSize: null, acceptedExtensions: ['.xlsx', '.xls', '.csv'] };

/** The server's limits once its configuration has loaded; the defaults until then (or if it never does). */
export function limitsFrom(config: ClientConfig | null): UploadLimits {
  return config ? { maxFileSize: config.maxFileSize, acceptedExtensions: config.acceptedExtensions } : DEFAULT_LIMITS;
}

/** CSV previews only need the header and a few rows: the server accepts a truncated CSV. */
export const CSV_PREVIEW_BYTES = 256 * 1024;

const neutralNumber = (value: number, digits = 0) => String(Number(value.toFixed(digits)));

export function fileExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/** Null when the file may be uploaded; otherwise why not (same codes as the server's). */
export function validateFile(file: { name: string; size: number }, limits: UploadLimits): ErrorInfo | null {
  const accepted = limits.acceptedExtensions.map((extension) => extension.toLowerCase());
  if (!accepted.includes(fileExtension(file.name))) {
    return { code: 'UNSUPPORTED_FILE_TYPE', message: null, params: { name: file.name, extensions: limits.acceptedExtensions.join(' / ') } };
  }
  if (file.size === 0) return { code: 'EMPTY_FILE', message: null };
  if (limits.maxFileSize !== null && file.size > limits.maxFileSize) {
    return {
      code: 'FILE_SIZE_EXCEEDED',
      message: null,
      params: { size: formatBytes(file.size, neutralNumber), limit: formatBytes(limits.maxFileSize, neutralNumber) },
    };
  }
  return null;
}

/** The part of a file sent to the preview endpoint. */
export function previewSlice(file: File): Blob {
  return fileExtension(file.name) === '.csv' && file.size > CSV_PREVIEW_BYTES ? file.slice(0, CSV_PREVIEW_BYTES) : file;
}
