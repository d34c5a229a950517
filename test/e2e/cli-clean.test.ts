/**
 * `dcs clean` end to end: the BUILT CLI (dist/, or $DCS_CLI) on the fixture files, compared with
 * the expected outputs under test/fixtures/expected/ (regenerate with scripts/update-golden.ts, then
 * read the diff). The expected files are also checked against the R11 export rules below, so a
 * regenerated golden file that breaks a rule fails here too.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, EXPECTED_DIR, formatsOf, GOLDEN_CASES, goldenFilesOf, ROOT, runCli, stableStatistics } from '../support/golden-cases.js';
import { makeTempDir } from '../support/pipeline-files.js';

let tmp: { dir: string; remove: () => Promise<void> };
let counter = 0;
/** A fresh, existing, empty output directory. */
async function emptyDir(label: string): Promise<string> {
  const dir = join(tmp.dir, `${label}-${++counter}`);
  await mkdir(dir);
  return dir;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`built CLI not found at ${CLI}: run npm run build (or set DCS_CLI)`);
  tmp = await makeTempDir('dcs-cli-clean-');
});
afterAll(async () => {
  await tmp?.remove();
});

const expectedFile = (caseName: string, file: string) => readFile(join(EXPECTED_DIR, caseName, file), 'utf8');

describe('dcs clean: outputs equal the expected files', () => {
  for (const golden of GOLDEN_CASES) {
    for (const format of formatsOf(golden)) {
      it(`${golden.name} → ${format}`, async () => {
        const out = await emptyDir(golden.name);
        const run = await runCli(['clean', golden.input, '--out', out, '--format', format]);
        expect(run.code, run.stderr).toBe(0);

        for (const [name, content] of await goldenFilesOf(out, format)) {
          expect(content, `${golden.name}/${name}`).toBe(await expectedFile(golden.name, name));
        }
        const printed = JSON.parse(run.stdout) as { processingTimeMs: unknown; outputs: unknown };
        expect(stableStatistics(run.stdout)).toEqual(JSON.parse(await expectedFile(golden.name, 'statistics.json')));
        expect(printed.processingTimeMs).toEqual(expect.any(Number));
        expect(printed.outputs).toEqual({ clean: join(out, `clean_data.${format}`), exceptions: join(out, `exception_data.${format}`) });
      });
    }
  }
});

interface Statistics {
  totalRows: number;
  cleanedRows: number;
  exceptionRows: number;
  errorsByType: Record<string, number>;
  sheets: { name: string; rows: number; columns: string[]; types: string[] }[];
}

function parseCsv(text: string): string[][] {
  const rows = Papa.parse<string[]>(text.replace(/^\ufeff/, ''), { skipEmptyLines: false }).data;
  if (rows.at(-1)?.length === 1 && rows.at(-1)?.[0] === '') rows.pop();
  return rows;
}

describe('the expected files follow the R11 export rules', () => {
  for (const golden of GOLDEN_CASES) {
    it(golden.name, async () => {
      const stats = JSON.parse(await expectedFile(golden.name, 'statistics.json')) as Statistics;
      const cleanText = await expectedFile(golden.name, 'clean_data.csv');
      const exceptionText = await expectedFile(golden.name, 'exception_data.csv');
      // CSV exports are UTF-8 with BOM.
      expect(cleanText.startsWith('\ufeff')).toBe(true);
      expect(exceptionText.startsWith('\ufeff')).toBe(true);
      const [cleanHeader, ...cleanRows] = parseCsv(cleanText);
      const [exceptionHeader, ...exceptionRows] = parseCsv(exceptionText);

      // Clean columns: original order, each address column X replaced by X_省 X_市 X_区 X_详细地址;
      // several sheets: 工作表 first, then the union of the sheets' columns.
      const multiSheet = stats.sheets.length > 1;
      const union = (lists: string[][]) => [...new Set(lists.flat())];
      const cleanColumnsOf = (sheet: Statistics['sheets'][number]) =>
        sheet.columns.flatMap((c, i) => (sheet.types[i] === 'address' ? ['省', '市', '区', '详细地址'].map((p) => `${c}_${p}`) : [c]));
      const expectedCleanHeader = union(stats.sheets.map(cleanColumnsOf));
      const expectedExceptionHeader = ['行号', ...union(stats.sheets.map((s) => s.columns)), '异常原因'];
      expect(cleanHeader).toEqual(multiSheet ? ['工作表', ...expectedCleanHeader] : expectedCleanHeader);
      expect(exceptionHeader).toEqual(multiSheet ? ['工作表', ...expectedExceptionHeader] : expectedExceptionHeader);

      // Counts: every data row is in exactly one of the two files.
      expect(stats.totalRows).toBe(stats.cleanedRows + stats.exceptionRows);
      expect(cleanRows).toHaveLength(stats.cleanedRows);
      expect(exceptionRows).toHaveLength(stats.exceptionRows);
      expect(stats.sheets.reduce((sum, s) => sum + s.rows, 0)).toBe(stats.totalRows);
      for (const row of cleanRows) expect(row).toHaveLength(cleanHeader.length);
      for (const row of exceptionRows) expect(row).toHaveLength(exceptionHeader.length);

      // 行号 is the spreadsheet row (header = 1), unique per sheet; every exception has a reason.
      const rowNumberAt = exceptionHeader.indexOf('行号');
      const keys = exceptionRows.map((r) => `${multiSheet ? r[0] : ''}#${r[rowNumberAt]}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const row of exceptionRows) {
        expect(Number(row[rowNumberAt])).toBeGreaterThanOrEqual(2);
        expect(row.at(-1)).not.toBe('');
        expect(row.at(-1)).not.toMatch(/(^|；): /); // no reason with an empty field name
      }
      // Each listed failure is counted once in errorsByType.
      const reasons = exceptionRows
        .map((r) => r.at(-1) ?? '')
        .join('；')
        .split('；')
        .filter((r) => r !== '');
      expect(reasons).toHaveLength(Object.values(stats.errorsByType).reduce((a, b) => a + b, 0));

      // Phones in clean data are digits only; dates are YYYY-MM-DD.
      for (const sheet of stats.sheets) {
        sheet.columns.forEach((column, i) => {
          const at = cleanHeader.indexOf(column);
          for (const row of cleanRows) {
            const value = row[at];
            if (value === '' || at < 0 || (multiSheet && row[0] !== sheet.name)) continue;
            if (sheet.types[i] === 'phone') expect(value).toMatch(/^\d+$/);
            if (sheet.types[i] === 'date') expect(value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          }
        });
      }
    });
  }
});

describe('dcs clean: options', () => {
  it('--column-types overrides the detected types', async () => {
    const out = await emptyDir('override');
    const input = join(ROOT, 'test/fixtures/parsing/csv/utf8.csv');
    const run = await runCli(['clean', input, '--out', out, '--format', 'csv', '--column-types', '{"手机号":"text","出生日期":"text"}']);
    expect(run.code, run.stderr).toBe(0);
    expect(stableStatistics(run.stdout)).toMatchObject({
      totalRows: 5,
      cleanedRows: 5,
      exceptionRows: 0,
      sheets: [{ types: ['text', 'text', 'text', 'address', 'text'] }],
    });
    const clean = parseCsv(await readFile(join(out, 'clean_data.csv'), 'utf8'));
    expect(clean[4]).toEqual(['赵六', '12345', 'abc', '浙江省', '杭州市', '西湖区', '文三路', '手机和日期无效']);
  });

  it('writes into the current directory by default and as xlsx by default', async () => {
    const cwd = await emptyDir('default-out');
    const input = join(ROOT, 'test/fixtures/parsing/csv/utf8.csv');
    const run = await runCli(['clean', input], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(cwd)).sort()).toEqual(['clean_data.xlsx', 'exception_data.xlsx']);
  });
});

describe('dcs clean: bad input exits with 3, prints a JSON error and leaves no file', () => {
  // Header-only inputs fail after the outputs were opened, so they also run with the xlsx writer;
  // the others fail before anything is written.
  const cases: [string, () => Promise<string>, string, string[]][] = [
    ['an empty file', async () => writeInput('empty.csv', Buffer.alloc(0)), 'EMPTY_FILE', ['csv']],
    ['a header-only CSV', async () => join(ROOT, 'test/fixtures/parsing/csv/header-only.csv'), 'EMPTY_FILE', ['csv', 'xlsx']],
    ['blank lines only', async () => join(ROOT, 'test/fixtures/parsing/csv/blank-lines-only.csv'), 'EMPTY_FILE', ['csv']],
    ['a header-only workbook', async () => writeInput('header-only.xlsx', await headerOnlyWorkbook()), 'EMPTY_FILE', ['csv', 'xlsx']],
    [
      'a PNG image',
      async () => writeInput('picture.csv', Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')),
      'UNSUPPORTED_FILE_TYPE',
      ['xlsx'],
    ],
    [
      'a truncated xlsx (corrupted zip)',
      async () => writeInput('broken.xlsx', (await readFile(join(ROOT, 'test/fixtures/parsing/xlsx/workbook.xlsx'))).subarray(0, 3000)),
      'CORRUPTED_FILE',
      ['csv'],
    ],
    ['a missing file', async () => join(tmp.dir, 'does-not-exist.csv'), 'FILE_NOT_FOUND', ['csv']],
  ];

  async function writeInput(name: string, content: Buffer): Promise<string> {
    const path = join(tmp.dir, `${++counter}-${name}`);
    await writeFile(path, content);
    return path;
  }

  async function headerOnlyWorkbook(): Promise<Buffer> {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('S').addRow(['姓名', '手机号']);
    return Buffer.from(await workbook.xlsx.writeBuffer());
  }

  for (const [label, input, code, formats] of cases) {
    it.each(formats)(`${label} (%s) → ${code}`, async (format) => {
      const out = await emptyDir('bad');
      const run = await runCli(['clean', await input(), '--out', out, '--format', format]);
      expect(run.code).toBe(3);
      const printed = JSON.parse(run.stdout) as { error: { code: string; message: string } };
      expect(printed.error.code).toBe(code);
      expect(printed.error.message).toMatch(/[\u4e00-\u9fff]/); // a readable (Chinese) message
      expect(run.stderr).toContain(`dcs clean: ${code}:`);
      expect(await readdir(out)).toEqual([]);
    });
  }
});

describe('dcs clean: bad usage exits with 2', () => {
  const input = join(ROOT, 'test/fixtures/parsing/csv/utf8.csv');

  it('--format pdf', async () => {
    const out = join(tmp.dir, `usage-${++counter}`);
    const run = await runCli(['clean', input, '--out', out, '--format', 'pdf']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'pdf' is invalid");
    expect(existsSync(out)).toBe(false);
  });

  it('a missing file argument', async () => {
    const run = await runCli(['clean']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing required argument 'file'");
  });

  it('an unknown option', async () => {
    const run = await runCli(['clean', input, '--bogus']);
    expect(run.code).toBe(2);
  });

  it('invalid --column-types JSON or type, with a JSON error', async () => {
    for (const value of ['{not json', '{"手机号":"postcode"}', '["phone"]']) {
      const out = await emptyDir('usage');
      const run = await runCli(['clean', input, '--out', out, '--column-types', value]);
      expect(run.code, value).toBe(2);
      expect((JSON.parse(run.stdout) as { error: { code: string } }).error.code).toBe('INVALID_COLUMN_TYPES');
      expect(await readdir(out)).toEqual([]);
    }
  });

  it('--help and --version still exit with 0', async () => {
    expect((await runCli(['clean', '--help'])).code).toBe(0);
    expect((await runCli(['--version'])).code).toBe(0);
  });
});
