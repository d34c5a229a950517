/**
 * Cleaning is idempotent (issue 12 item 7): the clean output of any file, csv or xlsx, cleaned
 * again through the real parse → detect → clean → export path gives every row clean, and the
 * same file content (same columns, same values).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditCodeCheckCharacter, organizationCheckCharacter } from '../../src/cleaning/credit-code.js';
import { allCounties } from '../../src/cleaning/divisions.js';
import { idCardCheckCharacter } from '../../src/cleaning/id-card.js';
import { FileSink } from '../../src/pipeline/file-sink.js';
import { processFile } from '../../src/pipeline/process-file.js';
import { makeTempDir, readExportTable, writeCsvFile, writeXlsxFile } from '../support/pipeline-files.js';
import type { CellValue, ExportFormat } from '../../src/domain/index.js';

const pad2 = (n: number) => String(n).padStart(2, '0');
const COUNTIES = [...allCounties()];
const blank = fc.constantFrom<CellValue>('', null, '  ');

const mobile = fc
  .tuple(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([second, rest]) => `1${second}${String(rest).padStart(9, '0')}`);
const phone = fc.oneof(
  fc
    .tuple(mobile, fc.constantFrom('plain', 'spaced', '+86', 'number'))
    .map(([m, form]): CellValue =>
      form === 'plain' ? m : form === 'spaced' ? `${m.slice(0, 3)} ${m.slice(3, 7)} ${m.slice(7)}` : form === '+86' ? `+86-${m}` : Number(m),
    ),
  fc.constantFrom<CellValue>('010-12345678', '12345', 'abc'),
);

const date = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1950, max: 2030 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.nat(2))
    .map(([y, m, d, form]) => (form === 0 ? `${y}/${m}/${d}` : form === 1 ? `${y}年${m}月${d}日` : `${y}-${pad2(m)}-${pad2(d)} 10:30:00`)),
  fc.constantFrom('2023-02-30', '明天'),
);

const address = fc.oneof(
  fc.tuple(fc.constantFrom(...COUNTIES), fc.integer({ min: 1, max: 999 }), fc.boolean()).map(([county, n, short]) => {
    const city = county.city;
    const province = short ? (city.province.shortNames[0] ?? city.province.name) : city.province.name;
    const cityName = city.name === city.province.name ? '' : city.name;
    const countyName = county.name === city.name ? '' : county.name;
    return `${province}${cityName}${countyName} 幸福路${n}号`;
  }),
  fc.constantFrom('火星基地', '北京', '朝阳区建国路1号'),
);

const idCard = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 1930, max: 2010 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
    fc.nat(999),
    fc.nat(2),
  )
  .map(([region, y, m, d, sequence, form]) => {
    const first17 = `11${String(region).padStart(4, '0')}${y}${pad2(m)}${pad2(d)}${String(sequence).padStart(3, '0')}`;
    const id = first17 + idCardCheckCharacter(first17);
    return form === 0 ? id : form === 1 ? id.toLowerCase() : id.slice(0, 9) + (id[9] === '0' ? '1' : '0') + id.slice(10); // last: a wrong digit
  });

const CODE_SET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const creditCode = fc.tuple(fc.array(fc.constantFrom(...CODE_SET), { minLength: 16, maxLength: 16 }), fc.boolean()).map(([chars, lower]) => {
  const body = chars.slice(8).join('');
  const first17 = chars.slice(0, 8).join('') + body + organizationCheckCharacter(body);
  const code = first17 + creditCodeCheckCharacter(first17);
  return lower ? code.toLowerCase() : code;
});

const email = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9._]{0,6}[a-z0-9]$/), fc.constantFrom('Example.COM', 'qq.com', '163.com', 'bad_domain'))
  .map(([local, domain]) => `${local}@${domain}`);

const amount = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((n) => Number(n.toFixed(2))),
  fc.constantFrom('1,234.50', ' 42 ', '50%', '-0.5'),
);

const remark = fc.constantFrom('正常', ' 多余空格 ', '=1+1', '备注，含逗号', '多行\n备注', '');

interface ColumnSpec {
  headers: readonly string[];
  cells: fc.Arbitrary<CellValue[]>;
}

const one = (header: string, arbitrary: fc.Arbitrary<CellValue>): ColumnSpec => ({
  headers: [header],
  cells: fc.oneof({ arbitrary, weight: 6 }, { arbitrary: blank, weight: 1 }).map((v) => [v]),
});

const splitAddress: ColumnSpec = {
  headers: ['省份', '城市', '区县', '详细地址'],
  cells: fc
    .tuple(fc.constantFrom(...COUNTIES), fc.boolean(), fc.integer({ min: 1, max: 99 }))
    .map(([county, short, n]) => [
      short ? (county.city.province.shortNames[0] ?? county.city.province.name) : county.city.province.name,
      short ? (county.city.shortNames[0] ?? county.city.name) : county.city.name,
      county.name,
      ` 人民路${n}号 `,
    ]),
};

const COLUMNS: readonly ColumnSpec[] = [
  one('备注', remark),
  one('手机号', phone),
  one('出生日期', date),
  one('地址', address),
  one('身份证号', idCard),
  one('统一社会信用代码', creditCode),
  one('邮箱', email),
  one('金额', amount),
  splitAddress,
];

const table = fc.subarray([...COLUMNS], { minLength: 1 }).chain((columns) =>
  fc.record({
    headers: fc.constant(columns.flatMap((c) => c.headers)),
    rows: fc.array(
      fc.tuple(...columns.map((c) => c.cells)).map((cells) => cells.flat()),
      { minLength: 1, maxLength: 12 },
    ),
    input: fc.constantFrom<'csv' | 'xlsx'>('csv', 'xlsx'),
    output: fc.constantFrom<ExportFormat>('csv', 'xlsx'),
  }),
);

let temp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  temp = await makeTempDir('dcs-idempotence-');
});
afterAll(async () => {
  await temp.remove();
});

let runNumber = 0;
/** Parsing and cleaning on this thread: the same code path, without starting a thread 200 times. */
const IN_THREAD = { threads: 0 };

describe('cleaning is idempotent', () => {
  it('the clean output cleaned again: every row clean, same columns and values', async () => {
    await fc.assert(
      fc.asyncProperty(table, async ({ headers, rows, input, output }) => {
        const dir = join(temp.dir, `run-${++runNumber}`);
        const source =
          input === 'csv'
            ? await writeCsvFile(join(temp.dir, `in-${runNumber}.csv`), [headers, ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))))])
            : await writeXlsxFile(join(temp.dir, `in-${runNumber}.xlsx`), [{ name: 'Sheet1', rows: [headers, ...rows] }]);
        const first = new FileSink(join(dir, 'first'), output);
        fc.pre(rows.some((row) => row.some((v) => v !== null && String(v).trim() !== ''))); // an empty file is rejected, not cleaned
        const firstStats = await processFile(source, first, IN_THREAD);
        fc.pre(firstStats.cleanedRows > 0); // nothing to clean again
        const second = new FileSink(join(dir, 'second'), output);
        const secondStats = await processFile(first.outputs.clean, second, IN_THREAD);
        const exceptions = await readExportTable(second.outputs.exceptions);
        expect(exceptions.rows.slice(1), 'rows of the clean output rejected the second time').toEqual([]);
        expect(secondStats.cleanedRows).toBe(firstStats.cleanedRows);
        expect((await readExportTable(second.outputs.clean)).rows).toEqual((await readExportTable(first.outputs.clean)).rows);
      }),
      { numRuns: 100 },
    );
  }, 300_000);
});
