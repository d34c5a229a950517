/**
 * processFile's `dedupe: 'exact'` (issue 12) and `dcs clean --dedupe`: a row identical to an
 * earlier clean row of its sheet after cleaning goes to the exceptions with DUPLICATE_ROW and the
 * reason 重复行（与第 N 行相同）; rows with errors and rows of other sheets are never duplicates of
 * it; off by default.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runClean } from '../../src/cli/clean.js';
import { processFile } from '../../src/pipeline/process-file.js';
import { makeTempDir, readExportTable, RecordingSink, writeCsvFile, writeXlsxFile } from '../support/pipeline-files.js';

const HEADER = ['姓名', '手机号', '出生日期'];
const ROWS = [
  ['张三', '13812345678', '1990-05-17'], // row 2
  ['张三', '138-1234-5678', '1990年5月17日'], // row 3: the same after cleaning
  ['李四', '13912345678', '1991-01-01'], // row 4
  ['李四', '12345', '1991-01-01'], // row 5: an error (bad phone)
  ['李四', '12345', '1991-01-01'], // row 6: the same error: an exception for its own reason only
  [' 张三 ', '+86 138 1234 5678', '1990/5/17'], // row 7: row 2 again
];

let tmp: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('dcs-dedupe-');
});
afterAll(async () => {
  await tmp.remove();
});

describe("processFile with dedupe: 'exact'", () => {
  it('sends repeats of an earlier clean row to the exceptions with the first row number', async () => {
    const path = await writeCsvFile(join(tmp.dir, 'people.csv'), [HEADER, ...ROWS]);
    const sink = new RecordingSink();
    const stats = await processFile(path, sink, { dedupe: 'exact', batchSize: 2 });
    expect(stats).toMatchObject({ totalRows: 6, cleanedRows: 2, exceptionRows: 4 });
    expect(stats.errorsByType).toEqual({ DUPLICATE_ROW: 2, INVALID_PHONE: 2 });
    const exceptions = sink.records().filter((r) => r.type === 'exception');
    const duplicates = exceptions.filter((r) => r.type === 'exception' && r.errors[0].errorType === 'DUPLICATE_ROW');
    expect(duplicates.map((r) => r.rowNumber)).toEqual([3, 7]);
    expect(duplicates.map((r) => r.type === 'exception' && r.errors[0].message)).toEqual(['重复行（与第 2 行相同）', '重复行（与第 2 行相同）']);
    // The exception keeps the row as written.
    expect(duplicates[1].values).toEqual(ROWS[5]);
    expect(
      sink
        .records()
        .filter((r) => r.type === 'clean')
        .map((r) => r.rowNumber),
    ).toEqual([2, 4]);
  });

  it('is off by default', async () => {
    const path = await writeCsvFile(join(tmp.dir, 'people-off.csv'), [HEADER, ...ROWS]);
    const stats = await processFile(path, new RecordingSink());
    expect(stats).toMatchObject({ totalRows: 6, cleanedRows: 4, exceptionRows: 2 });
    expect(stats.errorsByType).toEqual({ INVALID_PHONE: 2 });
  });

  it('compares rows within a sheet only', async () => {
    const path = await writeXlsxFile(join(tmp.dir, 'book.xlsx'), [
      { name: 'A', rows: [HEADER, ROWS[0]] },
      { name: 'B', rows: [HEADER, ROWS[0], ROWS[0]] },
    ]);
    const sink = new RecordingSink();
    const stats = await processFile(path, sink, { dedupe: 'exact' });
    expect(stats).toMatchObject({ totalRows: 3, cleanedRows: 2, exceptionRows: 1 });
    expect(sink.records().find((r) => r.type === 'exception')).toMatchObject({ sheetIndex: 1, rowNumber: 3 });
  });
});

describe('dcs clean --dedupe', () => {
  it('writes the repeats to exception_data with the reason', async () => {
    const path = await writeCsvFile(join(tmp.dir, 'cli.csv'), [HEADER, ...ROWS]);
    const out = join(tmp.dir, 'cli-out');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runClean(path, { out, format: 'csv', dedupe: true })).toBe(0);
    } finally {
      stdout.mockRestore();
    }
    const exceptions = (await readExportTable(join(out, 'exception_data.csv'))).rows;
    const text = exceptions.map((r) => r.join(',')).join('\n');
    expect(text.match(/重复行（与第 2 行相同）/g)).toHaveLength(2);
    expect((await readExportTable(join(out, 'clean_data.csv'))).rows).toHaveLength(3); // header + 2
  });
});
