/**
 * Helpers for pipeline tests: a sink that records every call processFile makes, and writers of
 * small CSV / xlsx input files (exceljs's non-streaming writer: test input only), and a reader of
 * export files back into text rows.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import type { TableDetails } from '../../src/parsing/types.js';
import type { RecordBatch, RecordSink } from '../../src/pipeline/types.js';
import type { CellValue, ProcessStatistics, SheetLayout } from '../../src/domain/index.js';

export type SinkCall =
  | { kind: 'begin'; details: TableDetails }
  | { kind: 'sheet'; layout: SheetLayout }
  | { kind: 'write'; batch: RecordBatch }
  | { kind: 'flush' }
  | { kind: 'finish'; stats: ProcessStatistics }
  | { kind: 'abort'; reason: unknown };

/** Records the calls; `hooks` run inside a call (to fail or abort at a chosen point). */
export class RecordingSink implements RecordSink {
  readonly calls: SinkCall[] = [];

  constructor(private readonly hooks: { onWrite?: (writeIndex: number) => void | Promise<void>; onFinish?: () => void } = {}) {}

  begin(details: TableDetails): void {
    this.calls.push({ kind: 'begin', details });
  }

  sheet(layout: SheetLayout): void {
    this.calls.push({ kind: 'sheet', layout });
  }

  async write(batch: RecordBatch): Promise<void> {
    this.calls.push({ kind: 'write', batch });
    await this.hooks.onWrite?.(this.writes().length - 1);
  }

  flush(): void {
    this.calls.push({ kind: 'flush' });
  }

  finish(stats: ProcessStatistics): void {
    this.calls.push({ kind: 'finish', stats });
    this.hooks.onFinish?.();
  }

  abort(reason: unknown): void {
    this.calls.push({ kind: 'abort', reason });
  }

  kinds(): SinkCall['kind'][] {
    return this.calls.map((c) => c.kind);
  }

  layouts(): SheetLayout[] {
    return this.calls.flatMap((c) => (c.kind === 'sheet' ? [c.layout] : []));
  }

  writes(): RecordBatch[] {
    return this.calls.flatMap((c) => (c.kind === 'write' ? [c.batch] : []));
  }

  /** Every record written, clean and exceptions, in write order. */
  records(): (({ type: 'clean' } & RecordBatch['clean'][number]) | ({ type: 'exception' } & RecordBatch['exceptions'][number]))[] {
    return this.writes().flatMap((b) => [
      ...b.clean.map((r) => ({ type: 'clean' as const, ...r })),
      ...b.exceptions.map((r) => ({ type: 'exception' as const, ...r })),
    ]);
  }
}

export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

function csvField(value: string, delimiter: string): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** RFC 4180 CSV text (UTF-8, optional BOM). */
export function csvText(rows: readonly (readonly string[])[], options: { delimiter?: string; newline?: string; bom?: boolean } = {}): string {
  const { delimiter = ',', newline = '\n', bom = false } = options;
  return (bom ? '\ufeff' : '') + rows.map((r) => r.map((v) => csvField(v, delimiter)).join(delimiter)).join(newline) + newline;
}

export async function writeCsvFile(path: string, rows: readonly (readonly string[])[], options?: Parameters<typeof csvText>[1]): Promise<string> {
  await writeFile(path, csvText(rows, options));
  return path;
}

export interface SheetInput {
  name: string;
  /** First row = header; null leaves a cell empty. */
  rows: readonly (readonly CellValue[])[];
}

export async function writeXlsxFile(path: string, sheets: readonly SheetInput[], options: { date1904?: boolean } = {}): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  if (options.date1904) workbook.properties.date1904 = true;
  for (const sheet of sheets) {
    const worksheet = workbook.addWorksheet(sheet.name);
    for (const row of sheet.rows) worksheet.addRow(row.map((v) => (v === null ? undefined : v)));
  }
  await workbook.xlsx.writeFile(path);
  return path;
}

/** The cells of an export file as text rows (header first): CSV parsed (BOM checked), xlsx read back cell by cell. */
export async function readExportTable(path: string): Promise<{ rows: string[][]; bom?: boolean; sheetNames?: string[] }> {
  if (path.endsWith('.csv')) {
    const text = await readFile(path, 'utf8');
    const bom = text.startsWith('\ufeff');
    const parsed = Papa.parse<string[]>(bom ? text.slice(1) : text, { skipEmptyLines: false });
    const rows = parsed.data;
    // A final newline leaves one empty record behind.
    if (rows.length > 0 && rows[rows.length - 1].length === 1 && rows[rows.length - 1][0] === '') rows.pop();
    return { rows, bom };
  }
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const rows: string[][] = [];
  for (const worksheet of workbook.worksheets) {
    const width = worksheet.getRow(1).cellCount;
    worksheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
      // Continuation sheets (over Excel's row limit) repeat the header: keep it once.
      if (rowNumber === 1 && rows.length > 0) return;
      const cells: string[] = [];
      for (let c = 1; c <= width; c++) cells.push(cellValueText(row.getCell(c).value));
      rows.push(cells);
    });
  }
  return { rows, sheetNames: workbook.worksheets.map((w) => w.name) };
}

function cellValueText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && 'richText' in value) return value.richText.map((r) => r.text).join('');
  throw new Error(`unexpected cell value in an export: ${JSON.stringify(value)}`);
}
