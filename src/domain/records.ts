import type { ColumnType } from './columns.js';

/** Why a field was rejected. Stable identifiers: stored in error_logs and shown in exports. */
export type FieldErrorType =
  | 'INVALID_PHONE'
  | 'INVALID_DATE'
  | 'DATE_OUT_OF_RANGE'
  | 'INVALID_ADDRESS'
  | 'INCOMPLETE_ADDRESS'
  | 'AMBIGUOUS_ADDRESS'
  | 'INVALID_NUMBER'
  | 'INVALID_ID_CARD'
  | 'INVALID_CREDIT_CODE'
  | 'INVALID_EMAIL'
  | 'COLUMN_COUNT_MISMATCH'
  /** The row held bytes that could not be decoded in the file's encoding (a row-level error, no field). */
  | 'INVALID_ENCODING'
  /** The row repeats an earlier row of the sheet after cleaning (only with dedupe 'exact'). */
  | 'DUPLICATE_ROW';

/** One rejected field of an exception row. `value` is the original value as text. */
export interface FieldError {
  field: string;
  value: string;
  errorType: FieldErrorType;
  message: string;
}

/** How one sheet's columns are cleaned and laid out in the outputs. */
export interface SheetLayout {
  name: string;
  index: number;
  /** Original headers, in file order. */
  headers: string[];
  /** Type per original column (same order as headers). */
  types: ColumnType[];
  /**
   * Output columns of clean rows: headers with each address column X replaced by X_省 X_市 X_区
   * X_详细地址, and each id_card column X followed by X_出生日期 X_性别.
   */
  cleanColumns: string[];
}

/** A row that passed: values in the order of its sheet's cleanColumns. */
export interface CleanRecord {
  sheetIndex: number;
  rowNumber: number;
  values: string[];
}

/** A row with at least one invalid field: original values as text (sheet header order) + every failing field. */
export interface ExceptionRecord {
  sheetIndex: number;
  rowNumber: number;
  values: string[];
  errors: FieldError[];
}
