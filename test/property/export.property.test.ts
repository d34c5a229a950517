import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { createTableWriter } from '../../src/export/index.js';
import type { ExportFormat } from '../../src/domain/index.js';

async function writeTable(format: ExportFormat, columns: string[], rows: string[][]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const writer = await createTableWriter(format, out, { name: 'P', columns });
  // Split into two calls so state carried between writeRows calls is exercised too.
  const half = Math.floor(rows.length / 2);
  await writer.writeRows(rows.slice(0, half));
  await writer.writeRows(rows.slice(half));
  await writer.close();
  return Buffer.concat(chunks);
}

/** Characters that matter to CSV quoting, formula neutralization and encoding. */
const trickyUnit = fc.constantFrom('"', ',', '\r', '\n', ' ', '\t', '=', '+', '-', '@', '.', 'e', '0', '7', 'a', '中', '😀', "'", ';');
const signedNumber = fc
  .tuple(fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 99_999 }), fc.constantFrom('', '.5', '.25', 'e3'))
  .map(([sign, n, tail]) => `${sign}${n}${tail}`);

/** The rule the CSV must follow, written independently of the implementation. */
const FORMULA_LEAD = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A part a spreadsheet may split off at a comma, semicolon or tab (blanks after the separator skipped). */
const SPLIT_PART = /([,;\t] *)([^,;\t]*)/g;
const PART_FORMULA_LEAD = /^[=+\-@]/;
function expectedCsvCell(cell: string): string {
  const parts = cell.replace(SPLIT_PART, (match: string, separator: string, part: string) =>
    PART_FORMULA_LEAD.test(part) && !PLAIN_NUMBER.test(part) ? `${separator}'${part}` : match,
  );
  return FORMULA_LEAD.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${parts}` : parts;
}

function table(cell: fc.Arbitrary<string>): fc.Arbitrary<{ columns: string[]; rows: string[][] }> {
  return fc.integer({ min: 1, max: 6 }).chain((width) =>
    fc.record({
      columns: fc.constant(Array.from({ length: width }, (_, i) => `列${i}`)),
      rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 25 }),
    }),
  );
}

describe('CSV writer round trip (papaparse)', () => {
  const csvCell = fc.oneof(
    fc.string({ unit: trickyUnit, maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    signedNumber,
    fc.constantFrom('', '=SUM(A1)', '@x', '+8613800138000', '-12.5', '+3'),
  );

  it('gives back every cell, formula-leading ones with a single-quote prefix', async () => {
    await fc.assert(
      fc.asyncProperty(table(csvCell), async ({ columns, rows }) => {
        const bytes = await writeTable('csv', columns, rows);
        const text = bytes.toString('utf8');
        expect(text.startsWith('\uFEFF')).toBe(true);
        const parsed = Papa.parse<string[]>(text.slice(1), { delimiter: ',', newline: '\r\n', quoteChar: '"' });
        expect(parsed.errors).toEqual([]);
        expect(parsed.data.at(-1)).toEqual(['']);
        expect(parsed.data.slice(0, -1)).toEqual([columns, ...rows.map((row) => row.map(expectedCsvCell))]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('XLSX writer round trip (exceljs reader)', () => {
  /** Characters XML 1.0 cannot carry; exceljs drops them, so they are not part of the round trip. */
  const XML_FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/g;
  const xmlTrickyUnit = fc.constantFrom('<', '>', '&', '"', "'", '\n', '\r', '\t', ' ', '=', '+', '-', '@', '0', 'a', '中', '😀');
  const xlsxCell = fc.oneof(
    fc.string({ unit: xmlTrickyUnit, maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => s.replace(XML_FORBIDDEN, '')),
    signedNumber,
    fc.constantFrom('', '=SUM(A1)', '=1+1', 'TRUE', '2024-01-15', '0012', '1e5'),
  );

  it('gives back every cell as the same string (line breaks as LF), never a formula', async () => {
    await fc.assert(
      fc.asyncProperty(table(xlsxCell), async ({ columns, rows }) => {
        const bytes = await writeTable('xlsx', columns, rows);
        const workbook = new ExcelJS.Workbook();
        // exceljs declares its own global Buffer interface, which clashes with @types/node's Buffer.
        await workbook.xlsx.load(bytes as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
        expect(workbook.worksheets).toHaveLength(1);
        const sheet = workbook.worksheets[0];
        const readBack: string[][] = [];
        for (let r = 1; r <= rows.length + 1; r++) {
          const row = sheet.getRow(r);
          readBack.push(
            columns.map((_, c) => {
              const cell = row.getCell(c + 1);
              expect(cell.formula).toBeFalsy();
              if (cell.value === null) return '';
              expect(typeof cell.value).toBe('string');
              return cell.value as string;
            }),
          );
        }
        const expected = [columns, ...rows].map((row) => row.map((cell) => cell.replace(/\r\n?/g, '\n')));
        expect(readBack).toEqual(expected);
      }),
      { numRuns: 120 },
    );
  });
});
