import { isAppError } from '../errors.js';
import { openCsvReader } from './csv.js';
import { fileAccessError, sniffFile } from './detect.js';
import { resolveLimits } from './parse-errors.js';
import type { OpenOptions, RawRow, TableDetails, TableReader } from './types.js';
import { openXlsxReader } from './xlsx.js';

export type { OpenOptions, TableReader } from './types.js';
export { detectFormat, sniffFile } from './detect.js';
export { guessDelimiter, guessNewline } from './csv.js';
export { guessEncoding } from './encoding.js';
export { MAX_XLS_FILE_BYTES } from './parse-errors.js';

/**
 * Opens a table file for streaming: the format is chosen by content (xlsx zip, OLE2 xls, or text
 * CSV), never by the name. Every failure is an AppError (UNSUPPORTED_FILE_TYPE, EMPTY_FILE,
 * CORRUPTED_FILE, ZIP_BOMB_DETECTED, …); the returned reader must be iterated once or closed.
 */
export async function openTable(path: string, options: OpenOptions = {}): Promise<TableReader> {
  const limits = resolveLimits(options.limits);
  try {
    const sniffed = await sniffFile(path, { originalName: options.originalName, encoding: options.encoding });
    switch (sniffed.format) {
      case 'csv':
        return openCsvReader({ path, size: sniffed.size, encoding: sniffed.encoding, sampleBytes: sniffed.sample.length }, options, limits);
      case 'xlsx':
        return await openXlsxReader(path, sniffed.size, options, limits);
      case 'xls': {
        // SheetJS is large to load; only .xls files need it.
        const { openXlsReader } = await import('./xls.js');
        return await openXlsReader(path, sniffed.size, options, limits);
      }
    }
  } catch (err) {
    throw isAppError(err) ? err : fileAccessError(err, path);
  }
}

export interface TableContent {
  details: TableDetails;
  sheets: { name: string; headers: string[]; rows: RawRow[] }[];
}

/**
 * Reads a whole table into memory: for tests, tools and small files only (the pipeline streams).
 */
export async function readAllRows(path: string, options?: OpenOptions): Promise<TableContent> {
  const reader = await openTable(path, options);
  const sheets: TableContent['sheets'] = [];
  try {
    for await (const event of reader) {
      if (event.kind === 'sheet') sheets.push({ name: event.sheet.name, headers: event.sheet.headers, rows: [] });
      else sheets[sheets.length - 1].rows.push(...event.rows);
    }
  } finally {
    await reader.close();
  }
  return { details: reader.details, sheets };
}
