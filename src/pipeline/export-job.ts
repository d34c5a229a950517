import type { Writable } from 'node:stream';
import { createRowMapper, createTableWriter } from '../export/index.js';
import type { Database, FileRecord } from '../storage/index.js';
import type { CleanRecord, ExceptionRecord, ExportFormat, ResultKind, SheetLayout } from '../domain/index.js';

export type { ResultKind } from '../domain/index.js';

/** Rows read from the database per round trip while exporting. */
const EXPORT_CHUNK = 2000;

/** Worksheet name of an export file. */
export function exportSheetName(kind: ResultKind): string {
  return kind === 'clean' ? '清洗数据' : '异常数据';
}

/**
 * Streams records (in batches) into an export table with the columns of SPEC R11. The one export
 * path: downloads (records from the database) and the CLI (records from the pipeline) both use it.
 */
export async function writeExport(
  kind: ResultKind,
  format: ExportFormat,
  layouts: readonly SheetLayout[],
  batches: AsyncIterable<readonly (CleanRecord | ExceptionRecord)[]>,
  out: Writable,
): Promise<void> {
  const mapper = createRowMapper(layouts);
  const columns = kind === 'clean' ? mapper.cleanColumns : mapper.exceptionColumns;
  const writer = await createTableWriter(format, out, { name: exportSheetName(kind), columns: [...columns] });
  try {
    for await (const batch of batches) {
      const rows = kind === 'clean' ? batch.map((r) => mapper.clean(r as CleanRecord)) : batch.map((r) => mapper.exception(r as ExceptionRecord));
      await writer.writeRows(rows);
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** Streams a completed job's clean rows or exceptions from the database as an export file. */
export async function exportJobResults(db: Database, record: FileRecord, kind: ResultKind, format: ExportFormat, out: Writable): Promise<void> {
  const layouts = record.layout ?? [];
  const batches = kind === 'clean' ? db.streamCleanRows(record.jobId, EXPORT_CHUNK) : db.streamExceptionRows(record.jobId, EXPORT_CHUNK);
  await writeExport(kind, format, layouts, batches, out);
}
