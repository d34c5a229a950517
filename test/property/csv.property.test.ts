import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { readAllRows } from '../../src/parsing/index.js';
import type { CellValue } from '../../src/domain/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'parsing-property-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let fileCounter = 0;
const nextFile = (ext: string): string => join(tmp, `t${fileCounter++}.${ext}`);

const DELIMITERS = [',', ';', '\t', '|'] as const;
const isBlank = (cells: readonly string[]): boolean => cells.every((c) => c.trim() === '');

/** Characters that stress a CSV reader: quotes, every delimiter, CR/LF, spaces, CJK, emoji. */
const trickyUnit = fc.constantFrom('"', ',', ';', '\t', '|', '\r', '\n', ' ', ' ', 'a', 'Z', '0', '9', '中', '文', '省', '😀', 'é', "'", '=');
const cell = fc.oneof(fc.string({ unit: trickyUnit, maxLength: 10 }), fc.string({ unit: 'grapheme-ascii', maxLength: 6 }));

const table = fc.integer({ min: 1, max: 6 }).chain((columns) =>
  fc.record({
    header: fc.array(cell, { minLength: columns, maxLength: columns }).filter((h) => !isBlank(h)),
    rows: fc.array(
      fc.array(cell, { minLength: columns, maxLength: columns }).filter((r) => !isBlank(r)),
      { maxLength: 15 },
    ),
  }),
);

type Encoding = 'utf-8' | 'utf-8-bom' | 'gb18030' | 'utf-16le-bom';

interface CsvShape {
  delimiter: (typeof DELIMITERS)[number];
  quoting: 'minimal' | 'all';
  newline: '\n' | '\r\n';
  encoding: Encoding;
  /** Pass the delimiter instead of letting the reader detect it. */
  explicitDelimiter: boolean;
}

const shape: fc.Arbitrary<CsvShape> = fc.record({
  delimiter: fc.constantFrom(...DELIMITERS),
  quoting: fc.constantFrom('minimal' as const, 'all' as const),
  newline: fc.constantFrom('\n' as const, '\r\n' as const),
  encoding: fc.constantFrom<Encoding>('utf-8', 'utf-8-bom', 'gb18030', 'utf-16le-bom'),
  explicitDelimiter: fc.boolean(),
});

/**
 * Minimal quoting quotes what RFC 4180 requires. When the reader must detect the delimiter, a cell
 * holding another candidate delimiter unquoted would make the file genuinely ambiguous, so those
 * cells are quoted too.
 */
function writeCsv(rows: string[][], s: CsvShape): string {
  const needsQuotes = (v: string): boolean => /["\r\n]/.test(v) || v.includes(s.delimiter) || (!s.explicitDelimiter && DELIMITERS.some((d) => v.includes(d)));
  const field = (v: string): string => (s.quoting === 'all' || needsQuotes(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => r.map(field).join(s.delimiter)).join(s.newline) + s.newline;
}

/** The bytes, and the encoding to force when the file is genuinely ambiguous. */
function encode(text: string, encoding: Encoding): { bytes: Buffer; force?: string } {
  switch (encoding) {
    case 'utf-8':
      return { bytes: Buffer.from(text) };
    case 'utf-8-bom':
      return { bytes: Buffer.from('\ufeff' + text) };
    case 'utf-16le-bom':
      return { bytes: iconv.encode(text, 'utf16le', { addBOM: true }) };
    case 'gb18030': {
      const bytes = iconv.encode(text, 'gb18030');
      if (iconv.decode(bytes, 'gb18030') !== text) return { bytes: Buffer.from(text) }; // not encodable: UTF-8
      // GB18030 bytes that are also valid UTF-8 cannot be told apart ("encodings lie", SPEC §8): the
      // reader prefers UTF-8 as specified, so this case is read with the encoding given explicitly.
      let validUtf8 = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        validUtf8 = false;
      }
      return { bytes, force: validUtf8 && /[^\x00-\x7f]/.test(text) ? 'gb18030' : undefined };
    }
  }
}

describe('CSV round trip (property)', () => {
  it('random tables written with random delimiter, quoting, line ending and encoding read back exactly', async () => {
    await fc.assert(
      fc.asyncProperty(table, shape, async ({ header, rows }, s) => {
        const { bytes, force } = encode(writeCsv([header, ...rows], s), s.encoding);
        const file = nextFile('csv');
        writeFileSync(file, bytes);
        const result = await readAllRows(file, { encoding: force, delimiter: s.explicitDelimiter ? s.delimiter : undefined });
        expect(result.sheets).toHaveLength(1);
        const [sheet] = result.sheets;
        const expectedHeaders = header.map((h) => h.trim());
        while (expectedHeaders.length > 0 && expectedHeaders[expectedHeaders.length - 1] === '') expectedHeaders.pop();
        expect(sheet.headers).toEqual(expectedHeaders);
        expect(sheet.rows.length).toBe(rows.length);
        expect(sheet.rows).toEqual(rows.map((cells, i) => ({ rowNumber: i + 2, cells })));
        if (header.length > 1) expect(result.details.delimiter).toBe(s.delimiter);
      }),
      { numRuns: 200 },
    );
  });
});

describe('xlsx multi-sheet round trip (property)', () => {
  const text = fc
    .string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '中', '文', '😀', '<', '>', '&', '"', "'", '\n', '\t'), minLength: 1, maxLength: 8 })
    .filter((v) => v.trim() !== '');
  const value: fc.Arbitrary<CellValue> = fc.oneof(
    text,
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.integer({ min: 13000000000, max: 19999999999 }),
    fc.boolean(),
    fc.constant(null),
  );
  const sheet = fc.integer({ min: 1, max: 5 }).chain((columns) =>
    fc.record({
      header: fc.array(text, { minLength: columns, maxLength: columns }),
      rows: fc.array(
        fc.array(value, { minLength: columns, maxLength: columns }).filter((r) => r.some((v) => v !== null)),
        { maxLength: 12 },
      ),
    }),
  );
  const sheets = fc.uniqueArray(
    fc.record({
      name: fc.string({ unit: fc.constantFrom('S', 'h', '表', '1', ' '), minLength: 1, maxLength: 10 }).filter((n) => n.trim() === n && n !== ''),
      data: sheet,
    }),
    {
      minLength: 1,
      maxLength: 4,
      selector: (s) => s.name.toLowerCase(),
    },
  );

  it('a workbook with random sheets yields every sheet with its rows, in order', async () => {
    await fc.assert(
      fc.asyncProperty(sheets, async (generated) => {
        const workbook = new ExcelJS.Workbook();
        for (const { name, data } of generated) {
          const worksheet = workbook.addWorksheet(name);
          worksheet.addRow(data.header);
          for (const row of data.rows) worksheet.addRow(row);
        }
        const file = nextFile('xlsx');
        await workbook.xlsx.writeFile(file);
        const result = await readAllRows(file);
        expect(result.details.format).toBe('xlsx');
        expect(result.sheets.map((s) => s.name)).toEqual(generated.map((g) => g.name));
        result.sheets.forEach((read, i) => {
          const { header, rows } = generated[i].data;
          expect(read.headers).toEqual(header.map((h) => h.trim()));
          expect(read.rows).toEqual(rows.map((cells, r) => ({ rowNumber: r + 2, cells })));
        });
      }),
      { numRuns: 100 },
    );
  });
});
