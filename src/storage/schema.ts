import type { ColumnType } from 'kysely';

/**
 * Row types of the tables as Kysely sees them. Values differ a little per driver, so reads are
 * typed loosely and normalized by the mappers in file-records.ts and result-rows.ts:
 * - BIGINT comes back as a string from pg, a number from mysql2 and better-sqlite3;
 * - timestamps are `timestamptz` (pg → Date), `datetime(3)` in UTC (mysql2 → Date) and ISO-8601
 *   UTC text on SQLite (→ string); ISO text sorts and compares like the instant it names.
 */
type DbInteger = ColumnType<number | string | bigint, number, number>;
/** A timestamp column: Date on PostgreSQL/MySQL, ISO-8601 text on SQLite. */
type DbTimestamp = ColumnType<Date | string, Date | string, Date | string>;
/** A nullable timestamp column. */
type DbNullableTimestamp = ColumnType<Date | string | null, Date | string | null, Date | string | null>;

/** `file_records`: one row per upload/task; JSON columns hold text. */
export interface FileRecordsTable {
  /** Integer key of the file, the key of its result rows (auto-numbered; never reused on SQLite). */
  file_key: ColumnType<number | string, never, never>;
  id: string;
  job_id: string;
  original_name: string;
  size: DbInteger;
  file_type: string;
  mime_type: string;
  status: string;
  storage_key: string;
  column_types: string | null;
  uploaded_at: DbTimestamp;
  enqueued_at: DbNullableTimestamp;
  started_at: DbNullableTimestamp;
  completed_at: DbNullableTimestamp;
  total_rows: DbInteger;
  cleaned_rows: DbInteger;
  exception_rows: DbInteger;
  processing_time_ms: ColumnType<number | string | null, number | null, number | null>;
  statistics: string | null;
  layout: string | null;
  error_code: string | null;
  error_message: string | null;
  attempts: DbInteger;
  attempt_token: string | null;
  updated_at: DbTimestamp;
  encoding: ColumnType<string | null, string | null | undefined, string | null>;
  delimiter: ColumnType<string | null, string | null | undefined, string | null>;
  dedupe: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * `clean_data`: one row per clean spreadsheet row, keyed by (file_key, sheet_index, row_number).
 * `attempt` is the record's attempt number when the row was written: a row is live while its record
 * is processing or completed with that number in `attempts`.
 */
interface CleanDataTable {
  file_key: number | string;
  attempt: number;
  sheet_index: number;
  row_number: number;
  /** JSON array of the clean values, in the order of the sheet's cleanColumns. */
  data: string;
}

/** `error_logs`: one row per exception row, keyed like clean_data. */
interface ErrorLogsTable {
  file_key: number | string;
  attempt: number;
  sheet_index: number;
  row_number: number;
  /** JSON array of the original values (sheet header order). */
  data: string;
  /** JSON array of FieldError. */
  errors: string;
  /** Readable reasons, for people querying the table with SQL. */
  message: string;
}

/** The product's tables. */
export interface StorageSchema {
  file_records: FileRecordsTable;
  clean_data: CleanDataTable;
  error_logs: ErrorLogsTable;
}
