import type { Writable } from 'node:stream';
import type { ExportSheet, TableWriter } from './types.js';
import { CsvTableWriter } from './csv.js';
import type { ExportFormat, ResultKind } from '../domain/index.js';

export type { ExportSheet, TableWriter } from './types.js';
export { csvCell, looksLikeFormula } from './csv.js';
export { cleanExportColumns, exceptionExportColumns, createRowMapper, formatReasons, type RowMapper } from './layout.js';

/**
 * Opens a streaming writer of one export table onto `out` and writes the header row
 * (`sheet.columns`). Every row passed to writeRows must have exactly that many cells; await each
 * writeRows before the next (it waits for the output to drain, so memory stays flat).
 * close() completes the file, ends `out` and resolves once `out` has flushed and closed;
 * abort() destroys `out` without throwing (the caller removes a partial file).
 *
 * Async because the xlsx writer's library is loaded on first use.
 */
export async function createTableWriter(format: ExportFormat, out: NodeJS.WritableStream | Writable, sheet: ExportSheet): Promise<TableWriter> {
  switch (format) {
    case 'csv':
      return new CsvTableWriter(out, sheet);
    case 'xlsx': {
      // archiver and its zip stack load on first use: only a process that writes xlsx pays for them.
      const { XlsxTableWriter } = await import('./xlsx.js');
      return new XlsxTableWriter(out, sheet);
    }
    default: {
      const unknown: never = format;
      throw new Error(`unsupported export format: ${String(unknown)}`);
    }
  }
}

/** File extension and MIME type of each export format (for file names and downloads). */
export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, { extension: string; mime: string }>> = {
  csv: { extension: 'csv', mime: 'text/csv; charset=utf-8' },
  xlsx: { extension: 'xlsx', mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
};

/** Base name of each result's export file (`clean_data.csv`, `exception_data_<jobId>.xlsx`). */
const EXPORT_BASE_NAMES: Readonly<Record<ResultKind, string>> = { clean: 'clean_data', exceptions: 'exception_data' };

/** File name of an export: `clean_data.xlsx`, or with a suffix (the task id) `clean_data_<suffix>.xlsx`. */
export function exportFileName(kind: ResultKind, format: ExportFormat, suffix?: string): string {
  return `${EXPORT_BASE_NAMES[kind]}${suffix ? `_${suffix}` : ''}.${EXPORT_CONTENT_TYPES[format].extension}`;
}
