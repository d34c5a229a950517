import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_XLS_FILE_BYTES, openTable, readAllRows } from '../../src/parsing/index.js';

const XLS = join(import.meta.dirname, '..', 'fixtures', 'parsing', 'xls', 'workbook.xls');
const tmp = mkdtempSync(join(tmpdir(), 'parsing-xls-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const originalTz = process.env.TZ;
afterEach(() => {
  process.env.TZ = originalTz;
});

const utc = (y: number, m: number, d: number): Date => new Date(Date.UTC(y, m - 1, d));

describe('xls (BIFF8) reader', () => {
  it('reads every sheet with headers, real row numbers, numbers and dates', async () => {
    const { details, sheets } = await readAllRows(XLS);
    expect(details).toEqual({ format: 'xls', sheetCount: 2, date1904: false, removedNulBytes: 0 });
    expect(sheets.map((s) => [s.name, s.headers])).toEqual([
      ['客户', ['姓名', '手机号', '出生日期', '地址', '备注']],
      ['订单', ['订单号', '金额']],
    ]);
    expect(sheets[0].rows).toEqual([
      { rowNumber: 2, cells: ['张三', 13812345678, utc(1990, 5, 17), '江苏省南京市玄武区中山路1号', '数字手机号'] },
      { rowNumber: 3, cells: ['李四', '138 1234 5678', '1985/3/2', '北京朝阳区建国路88号', '文本日期'] },
      // row 4 is empty; the last cell of row 5 is empty and padded to the header
      { rowNumber: 5, cells: ['王五', '+86 139-1234-5678', utc(1992, 12, 1), '广东深圳南山区科技园南区', null] },
    ]);
    expect(sheets[1].rows).toEqual([{ rowNumber: 2, cells: ['A001', 12.5] }]);
  });

  it('gives the same dates whatever the process time zone', async () => {
    for (const tz of ['America/Los_Angeles', 'Asia/Shanghai', 'Pacific/Kiritimati']) {
      process.env.TZ = tz;
      const { sheets } = await readAllRows(XLS);
      expect(sheets[0].rows[0].cells[2]).toEqual(utc(1990, 5, 17));
    }
  });

  it('is read as xls when named .csv (content wins)', async () => {
    const renamed = join(tmp, 'renamed.csv');
    copyFileSync(XLS, renamed);
    const reader = await openTable(renamed, { originalName: 'renamed.csv' });
    expect(reader.details.format).toBe('xls');
    await reader.close();
  });

  it('applies the row and column limits', async () => {
    await expect(readAllRows(XLS, { limits: { maxRows: 2 } })).rejects.toMatchObject({ code: 'ROW_LIMIT_EXCEEDED' });
    await expect(readAllRows(XLS, { limits: { maxColumns: 3 } })).rejects.toMatchObject({ code: 'COLUMN_LIMIT_EXCEEDED' });
  });

  it(`refuses an .xls above ${MAX_XLS_FILE_BYTES / 1024 / 1024} MB before reading it`, async () => {
    const big = join(tmp, 'big.xls');
    writeFileSync(big, readFileSync(XLS));
    truncateSync(big, MAX_XLS_FILE_BYTES + 1); // sparse: the OLE header and directory stay valid
    await expect(openTable(big)).rejects.toMatchObject({ code: 'FILE_SIZE_EXCEEDED' });
  });

  it('estimates from the sheet ranges and is exact at the end', async () => {
    const reader = await openTable(XLS);
    expect(reader.estimatedTotalRows()).toBe(4 + 1);
    for await (const _event of reader) void _event;
    expect(reader.estimatedTotalRows()).toBe(4);
  });
});
