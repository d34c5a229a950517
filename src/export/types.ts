export interface ExportSheet {
  /** Worksheet name (xlsx); ignored by CSV. */
  name: string;
  columns: string[];
}

/**
 * A streaming table writer: rows go out as they come, memory stays flat. The writer owns the output
 * stream: close() ends it, abort() destroys it (callers remove the partial file).
 */
export interface TableWriter {
  writeRows(rows: readonly (readonly string[])[]): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
