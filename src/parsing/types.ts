import type { CellValue, FileFormat } from '../domain/index.js';

/** Every limit a reader enforces; all come from configuration (defaults in DEFAULT_PARSE_LIMITS). */
export interface ParseLimits {
  /** Data rows over all sheets (header rows not counted). */
  maxRows: number;
  maxColumns: number;
  /**
   * Longest row in characters: a CSV record, or a spreadsheet row's cells together (a shared string
   * counts at its full length each time it is referenced). Also bounds a single cell.
   */
  maxLineLength: number;
  /** xlsx: total uncompressed size of the zip entries, and the highest compression ratio of any entry. */
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  /** Text held by one batch of rows (2 bytes per character), whatever the batch size. */
  maxBatchBytes: number;
  /** xlsx: entries and total characters of the shared-string table. */
  maxSharedStrings: number;
  maxSharedStringChars: number;
  /** xlsx: distinct worksheets of a workbook (repeated references to one sheet count once). */
  maxSheets: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxRows: 10_000_000,
  maxColumns: 1_000,
  maxLineLength: 1_000_000,
  maxUncompressedBytes: 2 * 1024 ** 3,
  maxCompressionRatio: 100,
  maxBatchBytes: 64 * 1024 ** 2,
  maxSharedStrings: 16_000_000,
  maxSharedStringChars: 128_000_000,
  maxSheets: 256,
};

export interface OpenOptions {
  /** File name as uploaded; only a hint (content decides the format). */
  originalName?: string;
  /** Force a CSV encoding (e.g. 'gb18030', 'utf-8', 'utf-16le'); detected when absent. */
  encoding?: string;
  /** Force a CSV delimiter; detected when absent. */
  delimiter?: string;
  limits?: Partial<ParseLimits>;
  /** Rows per 'rows' event (default 1000). */
  batchSize?: number;
  signal?: AbortSignal;
  /**
   * Data rows read per sheet at most (a preview's sample): the reader then moves on to the next
   * sheet without reading the rest, so a preview never parses a whole workbook. Unset: every row.
   */
  sampleRowsPerSheet?: number;
}

/** One data row. rowNumber is the row as the spreadsheet user sees it (header = row 1). */
export interface RawRow {
  rowNumber: number;
  cells: CellValue[];
  /**
   * Set when the row's text held bytes that are not valid in the file's encoding, now U+FFFD (a
   * CSV with a few damaged bytes is read, and such rows become exceptions).
   */
  invalidEncoding?: true;
}

export interface SheetHeader {
  /** Sheet name; 'Sheet1' style default for CSV. */
  name: string;
  /** 0-based position among the sheets that have data. */
  index: number;
  headers: string[];
}

export type TableEvent = { kind: 'sheet'; sheet: SheetHeader } | { kind: 'rows'; rows: RawRow[] };

/** What a reader learned about the file (shown in statistics). */
export interface TableDetails {
  format: FileFormat;
  encoding?: string;
  delimiter?: string;
  sheetCount?: number;
  /** Workbook uses the 1904 date system (some Mac workbooks). */
  date1904?: boolean;
  /** NUL characters removed from a CSV's text (a stray NUL is damage, not data); 0 for spreadsheets. */
  removedNulBytes: number;
}

/**
 * A streaming reader over a table file. Iterating yields, for each sheet with data, one 'sheet'
 * event followed by 'rows' batches. Readers never hold the whole file in memory (xls excepted:
 * the BIFF format caps its size). Errors are AppErrors with the codes of SPEC section 4.
 */
export interface TableReader extends AsyncIterable<TableEvent> {
  readonly details: TableDetails;
  /** Best current estimate of total data rows (exact once iteration has finished). */
  estimatedTotalRows(): number | undefined;
  /** Releases file handles and temp files; safe to call twice. */
  close(): Promise<void>;
}
