import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import * as SheetJS from '@e965/xlsx';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTableWriter } from '../../src/export/index.js';
import { EXCEL_MAX_CELL_CHARS, sanitizeSheetName, XlsxTableWriter } from '../../src/export/xlsx.js';

function collector(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

async function xlsxBytes(name: string, columns: string[], rows: string[][]): Promise<Buffer> {
  const { stream, bytes } = collector();
  const writer = await createTableWriter('xlsx', stream, { name, columns });
  await writer.writeRows(rows);
  await writer.close();
  return bytes();
}

/** Every worksheet as { name, rows of strings } ('' for empty cells), read back with exceljs. */
async function readWorkbook(bytes: Buffer, width: number): Promise<{ name: string; rows: string[][] }[]> {
  const workbook = new ExcelJS.Workbook();
  // exceljs declares its own global Buffer interface, which clashes with @types/node's generic Buffer.
  await workbook.xlsx.load(bytes as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  return workbook.worksheets.map((sheet) => {
    const rows: string[][] = [];
    for (let r = 1; r <= sheet.rowCount; r++) {
      const row = sheet.getRow(r);
      const cells: string[] = [];
      for (let c = 1; c <= width; c++) {
        const cell = row.getCell(c);
        expect(cell.formula).toBeFalsy();
        if (cell.value !== null) expect(cell.type).toBe(ExcelJS.ValueType.String);
        cells.push(cell.value === null ? '' : String(cell.value));
      }
      rows.push(cells);
    }
    return { name: sheet.name, rows };
  });
}

describe('XLSX table writer', () => {
  const columns = ['姓名', '=公式列', '备注'];
  const rows = [
    ['=SUM(A1)', '=1+1', '+8613800138000'],
    ['-12.5', '0012', '2024-01-15'],
    ['  leading and trailing  ', '&<>"\'', '南京市玄武区中山路1号'],
    ['😀 emoji', '', 'line1\nline2'],
    ['@x', 'TRUE', '1e5'],
  ];

  it('round-trips header and cells as strings, formula-looking ones included', async () => {
    const bytes = await xlsxBytes('清洗数据', columns, rows);
    const [sheet, ...others] = await readWorkbook(bytes, columns.length);
    expect(others).toEqual([]);
    expect(sheet.name).toBe('清洗数据');
    expect(sheet.rows).toEqual([columns, ...rows]);
  });

  it('stores no formula a second reader (SheetJS) could find', async () => {
    const bytes = await xlsxBytes('S', columns, rows);
    const book = SheetJS.read(bytes, { type: 'buffer', cellFormula: true });
    const sheet = book.Sheets[book.SheetNames[0]];
    const addresses = Object.keys(sheet).filter((key) => !key.startsWith('!'));
    expect(addresses.length).toBe(columns.length * (rows.length + 1) - 1); // one empty cell left out
    for (const address of addresses) {
      const cell = sheet[address] as SheetJS.CellObject;
      expect(cell.f).toBeUndefined();
      expect(cell.t).toBe('s');
    }
    expect((sheet['A2'] as SheetJS.CellObject).v).toBe('=SUM(A1)');
    expect((sheet['A3'] as SheetJS.CellObject).v).toBe('-12.5');
  });

  it('freezes the header row', async () => {
    const workbook = new ExcelJS.Workbook();
    const bytes = await xlsxBytes('S', ['a'], [['1']]);
    await workbook.xlsx.load(bytes as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
    expect(workbook.worksheets[0].views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  });

  it('sanitizes the worksheet name', async () => {
    const bytes = await xlsxBytes('a/b:c*?[x]\\很长的名字很长的名字很长的名字很长的名字很长', ['a'], [['1']]);
    const [sheet] = await readWorkbook(bytes, 1);
    expect(sheet.name).toBe('a_b_c___x__很长的名字很长的名字很长的名字很长的名字');
    expect(sheet.name).toHaveLength(31);
  });

  it.each([
    ['', 'Sheet1'],
    ['   ', 'Sheet1'],
    ["'quoted'", 'quoted'],
    ['History', 'History_'],
    ['[]:*?/\\', '_______'],
    ['a'.repeat(30) + '😀', 'a'.repeat(30)],
    ['正常名字', '正常名字'],
  ])('sanitizeSheetName(%j) = %j', (input, expected) => {
    expect(sanitizeSheetName(input)).toBe(expected);
  });

  it('continues on numbered worksheets, header repeated, past the row limit', async () => {
    const { stream, bytes } = collector();
    const writer = new XlsxTableWriter(stream, { name: '数据', columns: ['n'] }, { maxDataRowsPerSheet: 3 });
    await writer.writeRows([['1'], ['2']]);
    await writer.writeRows([['3'], ['4'], ['5'], ['6'], ['7']]);
    await writer.close();
    const sheets = await readWorkbook(bytes(), 1);
    expect(sheets).toEqual([
      { name: '数据', rows: [['n'], ['1'], ['2'], ['3']] },
      { name: '数据 (2)', rows: [['n'], ['4'], ['5'], ['6']] },
      { name: '数据 (3)', rows: [['n'], ['7']] },
    ]);
  });

  it("truncates cells to Excel's limit and turns CR line breaks into LF", async () => {
    const long = '长'.repeat(EXCEL_MAX_CELL_CHARS + 10);
    const bytes = await xlsxBytes('S', ['a', 'b'], [[long, 'x\r\ny\rz']]);
    const [sheet] = await readWorkbook(bytes, 2);
    expect(sheet.rows[1]).toEqual(['长'.repeat(EXCEL_MAX_CELL_CHARS), 'x\ny\nz']);
  });

  it('rejects a row whose width differs from the header', async () => {
    const { stream } = collector();
    const writer = await createTableWriter('xlsx', stream, { name: 'S', columns: ['a', 'b'] });
    await expect(writer.writeRows([['1', '2', '3']])).rejects.toThrow(RangeError);
    await writer.abort();
  });

  it('keeps sheet XML waiting downstream bounded on a slow output, rows in order', async () => {
    const limit = 256 * 1024;
    let maxBuffered = 0;
    const received: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        maxBuffered = Math.max(maxBuffered, writer.bufferedBytes);
        received.push(chunk);
        setTimeout(callback, 2);
      },
    });
    const writer = new XlsxTableWriter(slow, { name: 'S', columns: ['n', 'text'] }, { maxBufferedBytes: limit });
    const total = 30_000;
    for (let start = 0; start < total; start += 1000) {
      const batch: string[][] = [];
      for (let i = start; i < start + 1000; i++) batch.push([String(i), `第${i}行 ${'一些较长的文字内容'.repeat(4)}`]);
      await writer.writeRows(batch);
      expect(writer.bufferedBytes).toBeLessThanOrEqual(limit);
    }
    await writer.close();
    // The stage is really observed (it filled up), and never beyond the limit plus one commit.
    expect(maxBuffered).toBeGreaterThan(limit / 2);
    expect(maxBuffered).toBeLessThanOrEqual(limit + 1024 * 1024);
    const [sheet] = await readWorkbook(Buffer.concat(received), 1);
    expect(sheet.rows).toHaveLength(total + 1);
    sheet.rows.slice(1).forEach((row, i) => expect(row[0]).toBe(String(i)));
  });

  describe('with a file', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'export-xlsx-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('close() resolves once the file is flushed and closed', async () => {
      const path = join(dir, 'out.xlsx');
      const out = createWriteStream(path);
      const writer = await createTableWriter('xlsx', out, { name: 'S', columns: ['a'] });
      await writer.writeRows([['=x']]);
      await writer.close();
      expect(out.closed).toBe(true);
      const [sheet] = await readWorkbook(readFileSync(path), 1);
      expect(sheet.rows).toEqual([['a'], ['=x']]);
    });

    it('abort() mid-file destroys the stream without throwing and removes nothing', async () => {
      const path = join(dir, 'partial.xlsx');
      const out = createWriteStream(path);
      const writer = await createTableWriter('xlsx', out, { name: 'S', columns: ['a', 'b'] });
      for (let i = 0; i < 5; i++) {
        await writer.writeRows(Array.from({ length: 1000 }, (_, j) => [String(i * 1000 + j), 'text']));
      }
      await expect(writer.abort()).resolves.toBeUndefined();
      await expect(writer.abort()).resolves.toBeUndefined();
      expect(out.destroyed).toBe(true);
      expect(existsSync(path)).toBe(true);
      await expect(writer.writeRows([['1', '2']])).rejects.toThrow(/aborted/);
      await expect(writer.close()).rejects.toThrow(/aborted/);
      // Let archiver/zlib settle: any late error would surface as an unhandled error here.
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
  });

  it('surfaces an output error instead of crashing or hanging', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('ENOSPC: no space left on device'));
      },
    });
    const writer = await createTableWriter('xlsx', failing, { name: 'S', columns: ['a'] });
    await expect(
      (async () => {
        for (let i = 0; i < 20; i++) {
          await writer.writeRows(Array.from({ length: 1000 }, (_, j) => [`row ${i * 1000 + j} with text`]));
        }
        await writer.close();
      })(),
    ).rejects.toThrow(/ENOSPC/);
  });
});
