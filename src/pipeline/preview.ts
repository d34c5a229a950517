import { detectColumnTypes, DETECTION_SAMPLE_ROWS, uniqueHeaders } from '../cleaning/columns.js';
import { cellText, isEmptyRow } from '../cleaning/row.js';
import { AppError } from '../errors.js';
import { openTable } from '../parsing/index.js';
import type { ParseLimits } from '../parsing/types.js';
import type { CellValue, ColumnType, FileFormat } from '../domain/index.js';

export interface FilePreview {
  format: FileFormat;
  sheets: { name: string; headers: string[]; detectedTypes: ColumnType[]; sampleRows: string[][] }[];
}

const SAMPLE_ROWS_SHOWN = 5;
/**
 * Longest sample cell sent back, in characters (longer ones end with …): the preview is for the
 * eye, and a workbook whose cells hold a 999,000-character string otherwise made each answer
 * megabytes of JSON, serialized on the API's event loop (the hostile-HTTP probe's p99 went to
 * 200–300 ms).
 */
const SAMPLE_CELL_CHARS = 200;
const MAX_SHEETS = 20;

function sampleText(cell: CellValue): string {
  const text = cellText(cell);
  return text.length > SAMPLE_CELL_CHARS ? `${text.slice(0, SAMPLE_CELL_CHARS - 1)}…` : text;
}

/**
 * Headers, detected column types and a few rows of each sheet, without cleaning or storing
 * anything: lets a user check and override column types before uploading for real. A CSV may be
 * sent truncated (its first few hundred KB); a cut-off last record is simply not shown.
 */
export async function previewFile(
  path: string,
  options: {
    columnTypes?: Record<string, ColumnType>;
    limits?: Partial<ParseLimits>;
    encoding?: string;
    delimiter?: string;
    /** See DETECTION_MAX_VALUE_CHARS. */
    detectionMaxValueChars?: number;
  } = {},
): Promise<FilePreview> {
  // Rows one by one: a reader hands out a batch only when it is full, so a truncated CSV that breaks
  // off inside a quoted field would otherwise lose every row read before the break.
  const reader = await openTable(path, {
    limits: options.limits,
    encoding: options.encoding,
    delimiter: options.delimiter,
    batchSize: 1,
    sampleRowsPerSheet: DETECTION_SAMPLE_ROWS,
  });
  const sheets: FilePreview['sheets'] = [];
  let current: { name: string; headers: string[]; rows: CellValue[][] } | undefined;
  const finish = () => {
    if (!current) return;
    const types = detectColumnTypes(current.headers, current.rows, options.columnTypes, { maxValueChars: options.detectionMaxValueChars });
    sheets.push({
      name: current.name,
      headers: current.headers,
      detectedTypes: types,
      sampleRows: current.rows.slice(0, SAMPLE_ROWS_SHOWN).map((r) => r.map(sampleText)),
    });
    current = undefined;
  };
  try {
    for await (const event of reader) {
      if (event.kind === 'sheet') {
        finish();
        if (sheets.length >= MAX_SHEETS) break;
        current = { name: event.sheet.name, headers: uniqueHeaders(event.sheet.headers), rows: [] };
      } else if (current && current.rows.length < DETECTION_SAMPLE_ROWS) {
        for (const row of event.rows) if (!isEmptyRow(row.cells) && current.rows.length < DETECTION_SAMPLE_ROWS) current.rows.push(row.cells);
      } else if (reader.details.format === 'csv') {
        break; // one sheet, sample complete: the rest of the file changes nothing
      }
    }
  } catch (err) {
    // A truncated CSV sample may end inside a quoted field; what was read is still a valid preview.
    if (!(reader.details.format === 'csv' && sheets.length + (current ? 1 : 0) > 0 && !(err instanceof AppError && err.code !== 'CORRUPTED_FILE'))) throw err;
  } finally {
    await reader.close();
  }
  finish();
  if (sheets.length === 0) throw new AppError('EMPTY_FILE', '文件中没有数据');
  return { format: reader.details.format, sheets };
}
