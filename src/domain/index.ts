/**
 * The types several layers share (cells, column types, records, formats, statistics, statuses).
 * A leaf: it imports nothing from the rest of `src/`, and every layer may import it.
 */
export type { CellValue } from './cells.js';
export { COLUMN_TYPES, type ColumnType } from './columns.js';
export type { ExportFormat, FileFormat, ResultKind } from './formats.js';
export type { CleanRecord, ExceptionRecord, FieldError, FieldErrorType, SheetLayout } from './records.js';
export { PHASES, type Phase, type ProcessStatistics } from './statistics.js';
export { FINAL_STATUSES, JOB_STATUSES, type JobStatus, type UnsuccessfulStatus } from './status.js';
export { CLIENT_HEADER } from './client.js';
