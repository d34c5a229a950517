/**
 * Properties of the whole pipeline (parse → detect → clean → batches): random tables whose every
 * cell is known, by construction, to be valid (with its normalized form), invalid or blank.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCounties, type CountyUnit } from '../../src/cleaning/divisions.js';
import { processFile } from '../../src/pipeline/process-file.js';
import { makeTempDir, RecordingSink, writeCsvFile, writeXlsxFile } from '../support/pipeline-files.js';
import type { CellValue, ProcessStatistics } from '../../src/domain/index.js';

type Kind = 'phone' | 'date' | 'address' | 'text';

/** Headers whose keyword fixes the column type, so the expectation does not depend on sampling. */
const COLUMNS: readonly { header: string; kind: Kind }[] = [
  { header: '手机号', kind: 'phone' },
  { header: '联系电话', kind: 'phone' },
  { header: '出生日期', kind: 'date' },
  { header: '注册时间', kind: 'date' },
  { header: '地址', kind: 'address' },
  { header: '公司地址', kind: 'address' },
  { header: '姓名', kind: 'text' },
  { header: '备注', kind: 'text' },
];

/** A generated cell: what is written, and what the pipeline must make of it. */
type Cell = { state: 'blank'; written: CellValue } | { state: 'valid'; written: CellValue; normalized: string[] } | { state: 'invalid'; written: CellValue };

const pad2 = (n: number) => String(n).padStart(2, '0');

// ── valid and invalid values per kind ───────────────────────────────────────────────────────

const mobileArbitrary = fc
  .tuple(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([second, rest]) => `1${second}${String(rest).padStart(9, '0')}`);

const validPhone = fc.tuple(mobileArbitrary, fc.constantFrom('plain', 'spaces', 'dashes', '+86', '0086', 'number')).map(([mobile, form]): Cell => {
  const written: Record<string, CellValue> = {
    plain: mobile,
    spaces: `${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`,
    dashes: `${mobile.slice(0, 3)}-${mobile.slice(3, 7)}-${mobile.slice(7)}`,
    '+86': `+86 ${mobile}`,
    '0086': `0086-${mobile}`,
    number: Number(mobile),
  };
  return { state: 'valid', written: written[form], normalized: [mobile] };
});

/** Too short for any phone (3–6 digits), or not digits at all. */
const invalidPhone = fc.oneof(
  fc.integer({ min: 100, max: 999_999 }).map((n): Cell => ({ state: 'invalid', written: String(n) })),
  fc.constantFrom('abc', '电话号码', '138-abcd-5678').map((s): Cell => ({ state: 'invalid', written: s })),
);

const calendarDate = fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2100, 11, 31)), noInvalidDate: true }).map((d) => ({
  y: d.getUTCFullYear(),
  m: d.getUTCMonth() + 1,
  d: d.getUTCDate(),
}));

const validDate = fc.tuple(calendarDate, fc.constantFrom('iso', 'slash', 'chinese', 'compact', 'dots', 'us', 'native')).map(([{ y, m, d }, form]): Cell => {
  const written: Record<string, CellValue> = {
    iso: `${y}-${pad2(m)}-${pad2(d)}`,
    slash: `${y}/${m}/${d}`,
    chinese: `${y}年${m}月${d}日`,
    compact: `${y}${pad2(m)}${pad2(d)}`,
    dots: `${y}.${pad2(m)}.${pad2(d)}`,
    us: `${pad2(m)}/${pad2(d)}/${y}`,
    // exceljs writes dates before 1900-03-01 one serial too high (it ignores Excel's fictitious
    // 1900-02-29), so the test input uses text for those.
    native: y === 1900 && m < 3 ? `${y}-${pad2(m)}-${pad2(d)}` : new Date(Date.UTC(y, m - 1, d)),
  };
  return { state: 'valid', written: written[form], normalized: [`${y}-${pad2(m)}-${pad2(d)}`] };
});

const invalidDate = fc.oneof(
  fc.integer({ min: 1900, max: 2100 }).map((y): Cell => ({ state: 'invalid', written: `${y}-13-01` })),
  fc.integer({ min: 1900, max: 2100 }).map((y): Cell => ({ state: 'invalid', written: `${y}-02-30` })),
  fc.integer({ min: 1000, max: 1899 }).map((y): Cell => ({ state: 'invalid', written: `${y}-06-15` })),
  fc.constantFrom('abc', '明天', '2024-1', '2101-01-01').map((s): Cell => ({ state: 'invalid', written: s })),
);

const COUNTIES = [...allCounties()];
const ROADS = ['幸福路', '建设路', '人民路', '文化路', '青年路', '胜利路'];

/** `{province}{city}{county}` with full official names, each level written once (北京市朝阳区). */
function writtenLevels(county: CountyUnit): string {
  const names: string[] = [];
  for (const unit of [county.city.province, county.city, county]) if (names.at(-1) !== unit.name) names.push(unit.name);
  return names.join('');
}

const validAddress = fc.tuple(fc.constantFrom(...COUNTIES), fc.constantFrom(...ROADS), fc.integer({ min: 1, max: 999 })).map(([county, road, number]): Cell => {
  const detail = `${road}${number}号`;
  return {
    state: 'valid',
    written: `${writtenLevels(county)}${detail}`,
    normalized: [county.city.province.name, county.city.name, county.name, detail],
  };
});

const invalidAddress = fc.constantFrom('火星基地', '不详', '江苏省', '北京', '幸福路1号').map((s): Cell => ({ state: 'invalid', written: s }));

/** Free text: never blank, never a phone, date, number or place (so it cannot change a column's type). */
const TEXT_WORDS = ['正常', '待定', 'VIP客户', '老客户', '备注"引号"', 'a,b', '多行\n文本', '  前后空格  ', '=SUM(A1)', '😀表情', 'null'];
const validText = fc.constantFrom(...TEXT_WORDS).map((s): Cell => ({ state: 'valid', written: s, normalized: [s.trim()] }));

const blankCell = fc.constantFrom<CellValue>('', '  ', null, '\u3000', '\u200b').map((written): Cell => ({ state: 'blank', written }));

function cellArbitrary(kind: Kind): fc.Arbitrary<Cell> {
  switch (kind) {
    case 'phone':
      return fc.oneof({ arbitrary: validPhone, weight: 3 }, { arbitrary: invalidPhone, weight: 1 }, { arbitrary: blankCell, weight: 1 });
    case 'date':
      return fc.oneof({ arbitrary: validDate, weight: 3 }, { arbitrary: invalidDate, weight: 1 }, { arbitrary: blankCell, weight: 1 });
    case 'address':
      return fc.oneof({ arbitrary: validAddress, weight: 3 }, { arbitrary: invalidAddress, weight: 1 }, { arbitrary: blankCell, weight: 1 });
    case 'text':
      return fc.oneof({ arbitrary: validText, weight: 3 }, { arbitrary: blankCell, weight: 1 });
  }
}

interface Row {
  cells: Cell[];
  /** A non-blank cell beyond the header: COLUMN_COUNT_MISMATCH. */
  extra: boolean;
}

interface Table {
  columns: { header: string; kind: Kind }[];
  rows: Row[];
}

const tableArbitrary: fc.Arbitrary<Table> = fc.shuffledSubarray([...COLUMNS], { minLength: 1 }).chain((columns) =>
  fc.record({
    columns: fc.constant(columns),
    rows: fc.array(
      fc.oneof(
        { arbitrary: fc.record({ cells: fc.tuple(...columns.map((c) => cellArbitrary(c.kind))), extra: fc.constant(false) }), weight: 12 },
        { arbitrary: fc.record({ cells: fc.tuple(...columns.map((c) => cellArbitrary(c.kind))), extra: fc.constant(true) }), weight: 1 },
        { arbitrary: fc.record({ cells: fc.tuple(...columns.map(() => blankCell)), extra: fc.constant(false) }), weight: 1 },
      ),
      { maxLength: 30 },
    ),
  }),
);

// ── what the pipeline must produce ──────────────────────────────────────────────────────────

const isBlankRow = (row: Row) => !row.extra && row.cells.every((c) => c.state === 'blank');

/** Expected outcome per non-blank data row, keyed by spreadsheet row number (header = 1). */
function expectedRows(table: Table): Map<number, { clean: string[] } | { failingFields: string[] }> {
  const expected = new Map<number, { clean: string[] } | { failingFields: string[] }>();
  table.rows.forEach((row, i) => {
    if (isBlankRow(row)) return;
    const failing = table.columns.filter((_, c) => row.cells[c].state === 'invalid').map((c) => c.header);
    if (row.extra) failing.unshift('');
    if (failing.length > 0) {
      expected.set(i + 2, { failingFields: failing });
      return;
    }
    const clean = row.cells.flatMap((cell, c) => {
      if (cell.state === 'valid') return cell.normalized;
      return table.columns[c].kind === 'address' ? ['', '', '', ''] : [''];
    });
    expected.set(i + 2, { clean });
  });
  return expected;
}

function writtenRow(row: Row): CellValue[] {
  const cells = row.cells.map((c) => c.written);
  return row.extra ? [...cells, '多余'] : cells;
}

/** CSV has no types: what a CSV writer puts in the file for each cell. */
function csvTextOf(value: CellValue): string {
  if (value === null) return '';
  if (value instanceof Date) return `${value.getUTCFullYear()}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
  return String(value);
}

/** Checks the sink and the statistics against the expectation for one sheet. */
function checkSheet(sink: RecordingSink, stats: ProcessStatistics, sheetIndex: number, table: Table): void {
  const expected = expectedRows(table);
  const records = sink.records().filter((r) => r.sheetIndex === sheetIndex);
  // Every non-blank row exactly once, clean or exception; blank rows not at all.
  expect(records.map((r) => r.rowNumber).sort((a, b) => a - b)).toEqual([...expected.keys()]);
  for (const record of records) {
    const want = expected.get(record.rowNumber);
    if (record.type === 'clean') {
      expect(want, `row ${record.rowNumber}`).toEqual({ clean: record.values });
    } else {
      expect(want, `row ${record.rowNumber}`).toEqual({ failingFields: record.errors.map((e) => e.field) });
      // The original values are kept, and each error names the value it rejected.
      for (const error of record.errors) {
        if (error.field === '') continue;
        expect(error.value).toBe(record.values[table.columns.findIndex((c) => c.header === error.field)]);
      }
    }
  }
  expect(stats.sheets[sheetIndex].rows).toBe(expected.size);
}

function checkTotals(stats: ProcessStatistics, tables: Table[]): void {
  const nonBlank = tables.reduce((sum, t) => sum + t.rows.filter((r) => !isBlankRow(r)).length, 0);
  expect(stats.totalRows).toBe(nonBlank);
  expect(stats.totalRows).toBe(stats.cleanedRows + stats.exceptionRows);
  const invalidCells = tables.reduce(
    (sum, t) => sum + t.rows.reduce((n, r) => n + r.cells.filter((c) => c.state === 'invalid').length + (r.extra ? 1 : 0), 0),
    0,
  );
  expect(Object.values(stats.errorsByType).reduce((a, b) => a + b, 0)).toBe(invalidCells);
}

// ── properties ──────────────────────────────────────────────────────────────────────────────

let tmp: { dir: string; remove: () => Promise<void> };
let counter = 0;
beforeAll(async () => {
  tmp = await makeTempDir('dcs-pipeline-property-');
});
afterAll(async () => {
  await tmp.remove();
});

/**
 * The properties run the two stages on one thread: a cleaning thread costs a start-up per run
 * (hundreds of runs), and what the thread adds — the transport of the same events — is proven
 * equal to inline cleaning in test/unit/pipeline-threads.test.ts.
 */
const INLINE = 0;

describe('processFile properties', () => {
  it('CSV: every non-blank row once, clean or with exactly its invalid fields; totals add up', async () => {
    await fc.assert(
      fc.asyncProperty(tableArbitrary, fc.boolean(), fc.constantFrom('\n', '\r\n'), fc.integer({ min: 1, max: 8 }), async (table, bom, newline, batchSize) => {
        const rows = [table.columns.map((c) => c.header), ...table.rows.map((r) => writtenRow(r).map(csvTextOf))];
        const path = await writeCsvFile(join(tmp.dir, `t${++counter}.csv`), rows, { bom, newline });
        const sink = new RecordingSink();
        const nonBlank = table.rows.filter((r) => !isBlankRow(r)).length;
        if (nonBlank === 0) {
          await expect(processFile(path, sink, { batchSize, threads: INLINE })).rejects.toMatchObject({ code: 'EMPTY_FILE' });
          return;
        }
        const stats = await processFile(path, sink, { batchSize, threads: INLINE });
        expect(stats.sheets[0].types).toEqual(table.columns.map((c) => c.kind));
        checkSheet(sink, stats, 0, table);
        checkTotals(stats, [table]);
        for (const batch of sink.writes()) expect(batch.clean.length + batch.exceptions.length).toBeLessThanOrEqual(batchSize);
      }),
      { numRuns: 150 },
    );
  });

  it('xlsx with native numbers and dates: the same outcome as the text', async () => {
    await fc.assert(
      fc.asyncProperty(tableArbitrary, async (table) => {
        const path = await writeXlsxFile(join(tmp.dir, `t${++counter}.xlsx`), [
          { name: '数据', rows: [table.columns.map((c) => c.header), ...table.rows.map(writtenRow)] },
        ]);
        const sink = new RecordingSink();
        if (table.rows.every(isBlankRow)) {
          await expect(processFile(path, sink, { threads: INLINE })).rejects.toMatchObject({ code: 'EMPTY_FILE' });
          return;
        }
        const stats = await processFile(path, sink, { batchSize: 7, threads: INLINE });
        checkSheet(sink, stats, 0, table);
        checkTotals(stats, [table]);
      }),
      { numRuns: 25 },
    );
  });

  it('multi-sheet workbooks: every sheet processed with its own rows and layout', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tableArbitrary, { minLength: 1, maxLength: 4 }), async (tables) => {
        const sheets = tables.map((table, i) => ({ name: `表${i + 1}`, rows: [table.columns.map((c) => c.header), ...table.rows.map(writtenRow)] }));
        const path = await writeXlsxFile(join(tmp.dir, `t${++counter}.xlsx`), sheets);
        const sink = new RecordingSink();
        if (tables.every((t) => t.rows.every(isBlankRow))) {
          await expect(processFile(path, sink, { threads: INLINE })).rejects.toMatchObject({ code: 'EMPTY_FILE' });
          return;
        }
        const stats = await processFile(path, sink, { batchSize: 5, threads: INLINE });
        // One layout per sheet, in workbook order, each announced before its rows.
        expect(sink.layouts().map((l) => [l.index, l.name, l.headers])).toEqual(tables.map((t, i) => [i, `表${i + 1}`, t.columns.map((c) => c.header)]));
        expect(stats.sheets.map((s) => s.name)).toEqual(sheets.map((s) => s.name));
        let announced = -1;
        for (const call of sink.calls) {
          if (call.kind === 'sheet') announced = call.layout.index;
          if (call.kind === 'write') for (const r of [...call.batch.clean, ...call.batch.exceptions]) expect(r.sheetIndex).toBe(announced);
        }
        tables.forEach((table, i) => checkSheet(sink, stats, i, table));
        checkTotals(stats, tables);
      }),
      { numRuns: 25 },
    );
  });
});
