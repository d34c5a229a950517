import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTable, readAllRows } from '../../src/parsing/index.js';
import type { OpenOptions } from '../../src/parsing/types.js';
import { DATE_STYLES_XML, minimalXlsxEntries, writeZip } from '../support/zip-writer.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parsing', 'xlsx');
const WORKBOOK = join(FIXTURES, 'workbook.xlsx');
const tmp = mkdtempSync(join(tmpdir(), 'parsing-xlsx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

async function craftedXlsx(...args: Parameters<typeof minimalXlsxEntries>): Promise<string> {
  const file = join(tmp, `crafted${counter++}.xlsx`);
  await writeZip(file, minimalXlsxEntries(...args));
  return file;
}

async function errorOf(path: string, options?: OpenOptions): Promise<{ code?: string; message: string }> {
  try {
    await readAllRows(path, options);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

const utc = (...parts: [number, number, number, number?, number?]): Date => new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3] ?? 0, parts[4] ?? 0));

describe('xlsx fixture workbook (written by exceljs)', () => {
  it('yields every sheet with data, in workbook order, skipping the empty one', async () => {
    const { details, sheets } = await readAllRows(WORKBOOK);
    expect(details).toEqual({ format: 'xlsx', sheetCount: 2, date1904: false, removedNulBytes: 0 });
    expect(sheets.map((s) => s.name)).toEqual(['客户', '订单']);
    expect(sheets[0].headers).toEqual(['姓名', '手机号', '出生日期', '地址', '备注']);
  });

  it('converts every kind of cell', async () => {
    const { sheets } = await readAllRows(WORKBOOK);
    expect(sheets[0].rows).toEqual([
      // phone typed as a number (with a 000-0000-0000 display format) stays a number; date cell → Date
      { rowNumber: 2, cells: ['张三', 13812345678, utc(1990, 5, 17), '江苏省南京市玄武区中山路1号', '手机号是数字'] },
      // rich text runs concatenated
      { rowNumber: 3, cells: ['李四', '138 1234 5678', '1985/3/2', '北京市朝阳区建国路88号', '富文本地址'] },
      // formula → cached result; date-time keeps its time in the UTC fields
      { rowNumber: 4, cells: ['王五', 13912345678, utc(1992, 12, 1, 8, 30), '广东省深圳市南山区', '公式带缓存值; 日期带时间'] },
      // merged A5:B5 → value in A5 only; hyperlink → its text; #N/A → text; custom 年月日 format is a date
      { rowNumber: 5, cells: ['合并单元格', null, utc(2000, 1, 1), '官网地址', '#N/A'] },
      // row 6 is empty and skipped; row 7 is sparse (D7 missing) and has a boolean
      { rowNumber: 7, cells: ['赵六', '12345', 'abc', null, true] },
    ]);
    expect(sheets[1].rows).toEqual([
      { rowNumber: 2, cells: ['A001', 12.5, utc(2024, 1, 15)] },
      { rowNumber: 3, cells: ['A002', 100, utc(2024, 2, 29)] },
    ]);
  });

  it('reads inline strings (streaming writer without shared strings)', async () => {
    const { sheets } = await readAllRows(join(FIXTURES, 'inline-strings.xlsx'));
    expect(sheets[0].rows).toHaveLength(5);
    expect(sheets[0].rows[4]).toEqual({ rowNumber: 6, cells: [' 钱七 ', '021-12345678', '20000229', '上海市浦东新区世纪大道100号', '座机; 姓名前后有空格'] });
  });

  it('estimates rows from the dimension, exactly at the end', async () => {
    const reader = await openTable(WORKBOOK);
    expect(reader.estimatedTotalRows()).toBe(6 + 2); // dimensions A1:E7 and A1:C3, minus headers
    for await (const _event of reader) void _event;
    expect(reader.estimatedTotalRows()).toBe(7);
  });
});

describe('xlsx cell and row rules', () => {
  it('pads sparse rows to the header, keeps real row numbers, skips blank rows, keeps wider rows', async () => {
    const file = await craftedXlsx([
      {
        name: 'S',
        sheetData:
          '<row r="3"><c r="B3" t="inlineStr"><is><t> 姓名 </t></is></c><c r="C3" t="inlineStr"><is><t>电话</t></is></c><c r="D3" s="0"/></row>' +
          '<row r="5"><c r="C5"><v>138</v></c></row>' +
          '<row r="6"><c r="A6" t="inlineStr"><is><t>   </t></is></c></row>' +
          '<row r="9"><c r="A9" t="b"><v>0</v></c><c r="E9" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r><rPh><t>ふりがな</t></rPh></is></c></row>',
      },
    ]);
    const { sheets } = await readAllRows(file);
    expect(sheets[0].headers).toEqual(['', '姓名', '电话']);
    expect(sheets[0].rows).toEqual([
      { rowNumber: 5, cells: [null, null, 138] },
      { rowNumber: 9, cells: [false, null, null, null, '富文本'] },
    ]);
  });

  it('decodes XML entities and _xHHHH_ escapes, and uses shared strings', async () => {
    const file = await craftedXlsx(
      [
        {
          name: 'S',
          sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="str"><v>a&amp;b&#x4e2d;</v></c></row>',
        },
      ],
      { sharedStrings: ['备注', '第一行_x000D_\n第二行 <tag> & "q"'] },
    );
    const { sheets } = await readAllRows(file);
    expect(sheets[0].rows[0].cells).toEqual(['第一行\r\n第二行 <tag> & "q"', 'a&b中']);
  });

  it('turns date-formatted numbers into Dates (1900 system, fictitious 1900-02-29 left as a number)', async () => {
    const file = await craftedXlsx(
      [
        {
          name: 'S',
          sheetData:
            '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row><row r="2"><c r="A2" s="1"><v>33010</v></c></row><row r="3"><c r="A3" s="2"><v>60</v></c></row><row r="4"><c r="A4" s="1"><v>45306.75</v></c></row><row r="5"><c r="A5" t="d"><v>2024-01-15T10:20:00</v></c></row>',
        },
      ],
      { stylesXml: DATE_STYLES_XML },
    );
    const { sheets } = await readAllRows(file);
    expect(sheets[0].rows.map((r) => r.cells[0])).toEqual([utc(1990, 5, 17), 60, utc(2024, 1, 15, 18, 0), utc(2024, 1, 15, 10, 20)]);
  });

  it('reports 1904 workbooks and converts their dates', async () => {
    const file = await craftedXlsx(
      [{ name: 'S', sheetData: '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row><row r="2"><c r="A2" s="1"><v>31546</v></c></row>' }],
      {
        date1904: true,
        stylesXml: DATE_STYLES_XML,
      },
    );
    const { details, sheets } = await readAllRows(file);
    expect(details.date1904).toBe(true);
    expect(sheets[0].rows[0].cells[0]).toEqual(utc(1990, 5, 15));
  });
});

describe('xlsx limits', () => {
  it('maxRows counts data rows over all sheets', async () => {
    await expect(readAllRows(WORKBOOK, { limits: { maxRows: 7 } })).resolves.toBeDefined();
    expect((await errorOf(WORKBOOK, { limits: { maxRows: 6 } })).code).toBe('ROW_LIMIT_EXCEEDED');
  });

  it('maxColumns and maxLineLength', async () => {
    expect((await errorOf(WORKBOOK, { limits: { maxColumns: 4 } })).code).toBe('COLUMN_LIMIT_EXCEEDED');
    expect((await errorOf(WORKBOOK, { limits: { maxLineLength: 10 } })).code).toBe('LINE_TOO_LONG');
  });

  it('zip-bomb limits are checked on the central directory before parsing', async () => {
    expect((await errorOf(WORKBOOK, { limits: { maxUncompressedBytes: 10_000 } })).code).toBe('ZIP_BOMB_DETECTED');
    // A plain 2 MB sheet compresses ~20:1: fine by default, a bomb under a 5:1 limit.
    const compressible = await craftedXlsx([
      {
        name: 'S',
        sheetData: function* () {
          yield '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>';
          for (let r = 2; r < 30_000; r++) yield `<row r="${r}"><c r="A${r}"><v>${r * 7}</v></c><c r="B${r}"><v>2</v></c></row>`;
        },
      },
    ]);
    await expect(readAllRows(compressible)).resolves.toBeDefined(); // default ratio 100
    expect((await errorOf(compressible, { limits: { maxCompressionRatio: 5 } })).code).toBe('ZIP_BOMB_DETECTED');
  });
});

describe('xlsx limits of issue 10 (each configurable, each with its code)', () => {
  const rows = (n: number): string =>
    Array.from(
      { length: n },
      (_v, i) => `<row r="${i + 1}"><c r="A${i + 1}" t="s"><v>${i % 3}</v></c><c r="B${i + 1}" t="s"><v>${(i + 1) % 3}</v></c></row>`,
    ).join('');

  it('maxLineLength counts the cells of a row together, shared strings at their full length', async () => {
    const file = await craftedXlsx([{ name: 'S', sheetData: rows(5) }], { sharedStrings: ['x'.repeat(600), 'y'.repeat(600), '姓名'] });
    expect((await errorOf(file, { limits: { maxLineLength: 1000 } })).code).toBe('LINE_TOO_LONG');
    await expect(readAllRows(file, { limits: { maxLineLength: 1300 } })).resolves.toBeDefined();
  });

  it('maxBatchBytes bounds the text of one batch', async () => {
    const file = await craftedXlsx([{ name: 'S', sheetData: rows(50) }], { sharedStrings: ['x'.repeat(600), 'y'.repeat(600), '姓名'] });
    const error = await errorOf(file, { limits: { maxBatchBytes: 20_000 } });
    expect(error.code).toBe('LINE_TOO_LONG');
    expect(error.message).toMatch(/一批数据/);
    await expect(readAllRows(file, { limits: { maxBatchBytes: 20_000 }, batchSize: 5 })).resolves.toBeDefined();
  });

  it('maxSharedStrings and maxSharedStringChars', async () => {
    const file = await craftedXlsx([{ name: 'S', sheetData: rows(3) }], { sharedStrings: ['a', 'bb', 'ccc'] });
    expect((await errorOf(file, { limits: { maxSharedStrings: 2 } })).code).toBe('ZIP_BOMB_DETECTED');
    expect((await errorOf(file, { limits: { maxSharedStringChars: 5 } })).code).toBe('ZIP_BOMB_DETECTED');
    await expect(readAllRows(file, { limits: { maxSharedStrings: 3, maxSharedStringChars: 6 } })).resolves.toBeDefined();
  });

  it('maxSheets counts distinct worksheets', async () => {
    const sheet = { name: 'S', sheetData: '<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>' };
    const file = await craftedXlsx([sheet, { ...sheet, name: 'T' }, { ...sheet, name: 'U' }]);
    expect((await errorOf(file, { limits: { maxSheets: 2 } })).code).toBe('ZIP_BOMB_DETECTED');
    expect((await readAllRows(file, { limits: { maxSheets: 3 } })).sheets).toHaveLength(3);
  });

  it('sampleRowsPerSheet: a preview reads a few rows of every sheet, not the whole workbook', async () => {
    const many = `<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c></row>${Array.from({ length: 5000 }, (_v, i) => `<row r="${i + 2}"><c r="A${i + 2}"><v>${i}</v></c></row>`).join('')}`;
    const file = await craftedXlsx([
      { name: 'A', sheetData: many },
      { name: 'B', sheetData: many },
    ]);
    const { sheets } = await readAllRows(file, { sampleRowsPerSheet: 3 });
    expect(sheets.map((s) => [s.name, s.rows.map((r) => r.cells[0])])).toEqual([
      ['A', [0, 1, 2]],
      ['B', [0, 1, 2]],
    ]);
  });

  it('an unclosed tag inside a row is CORRUPTED_FILE', async () => {
    const file = await craftedXlsx([
      { name: 'S', sheetData: '<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row><row r="2"><c r="A2" <c r="B2"><v>1</v></c></row>' },
    ]);
    expect((await errorOf(file)).code).toBe('CORRUPTED_FILE');
  });
});

describe('xlsx reader lifecycle', () => {
  it('releases the zip when iteration stops early; close() is idempotent', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const reader = await openTable(WORKBOOK, { batchSize: 1 });
    for await (const event of reader) if (event.kind === 'rows') break;
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
    await reader.close();
    await reader.close();
  });

  it('releases the zip when close() is called without iterating', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const reader = await openTable(WORKBOOK);
    await reader.close();
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });
});
