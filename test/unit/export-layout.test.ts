import { describe, expect, it } from 'vitest';
import { cleanExportColumns, createRowMapper, exceptionExportColumns, formatReasons } from '../../src/export/index.js';
import type { ColumnType, FieldError, SheetLayout } from '../../src/domain/index.js';

function sheet(name: string, index: number, headers: string[], addressColumns: string[] = []): SheetLayout {
  const types: ColumnType[] = headers.map((h) => (addressColumns.includes(h) ? 'address' : 'text'));
  const cleanColumns = headers.flatMap((h) => (addressColumns.includes(h) ? [`${h}_省`, `${h}_市`, `${h}_区`, `${h}_详细地址`] : [h]));
  return { name, index, headers, types, cleanColumns };
}

const phoneError: FieldError = {
  field: '手机号',
  value: '123',
  errorType: 'INVALID_PHONE',
  message: '手机号码位数不正确',
};
const addressError: FieldError = {
  field: '地址',
  value: '江苏省南京市',
  errorType: 'INCOMPLETE_ADDRESS',
  message: '缺少区/县',
};

describe('export layout, one sheet', () => {
  const only = sheet('Sheet1', 0, ['姓名', '手机号', '地址'], ['地址']);

  it('clean columns are the sheet cleanColumns, exception columns wrap the headers', () => {
    expect(cleanExportColumns([only])).toEqual(['姓名', '手机号', '地址_省', '地址_市', '地址_区', '地址_详细地址']);
    expect(exceptionExportColumns([only])).toEqual(['行号', '姓名', '手机号', '地址', '异常原因']);
  });

  it('maps records onto those columns', () => {
    const mapper = createRowMapper([only]);
    expect(mapper.cleanColumns).toEqual(cleanExportColumns([only]));
    const values = ['张三', '13800138000', '江苏省', '南京市', '玄武区', '中山路1号'];
    expect(mapper.clean({ sheetIndex: 0, rowNumber: 2, values })).toEqual(values);
    expect(mapper.exception({ sheetIndex: 0, rowNumber: 7, values: ['李四', '123', '江苏省南京市'], errors: [phoneError, addressError] })).toEqual([
      '7',
      '李四',
      '123',
      '江苏省南京市',
      '手机号: 手机号码位数不正确（123）；地址: 缺少区/县（江苏省南京市）',
    ]);
  });

  it('pads short records and drops values beyond the columns', () => {
    const mapper = createRowMapper([only]);
    expect(mapper.clean({ sheetIndex: 0, rowNumber: 2, values: ['张三'] })).toEqual(['张三', '', '', '', '', '']);
    expect(mapper.exception({ sheetIndex: 0, rowNumber: 3, values: ['a', 'b', 'c', 'extra'], errors: [] })).toEqual(['3', 'a', 'b', 'c', '']);
  });

  it('rejects a record of another sheet', () => {
    const mapper = createRowMapper([only]);
    expect(() => mapper.clean({ sheetIndex: 3, rowNumber: 2, values: [] })).toThrow(/sheet index 3/);
  });
});

describe('export layout, several sheets', () => {
  const people = sheet('人员', 0, ['姓名', '手机号', '地址'], ['地址']);
  const orders = sheet('订单', 2, ['订单号', '手机号', '下单日期']);
  const sheets = [people, orders];

  it('adds 工作表 and takes the union of columns in first-seen order', () => {
    expect(cleanExportColumns(sheets)).toEqual(['工作表', '姓名', '手机号', '地址_省', '地址_市', '地址_区', '地址_详细地址', '订单号', '下单日期']);
    expect(exceptionExportColumns(sheets)).toEqual(['工作表', '行号', '姓名', '手机号', '地址', '订单号', '下单日期', '异常原因']);
  });

  it('places each sheet’s values under its own columns, empty elsewhere', () => {
    const mapper = createRowMapper(sheets);
    expect(mapper.clean({ sheetIndex: 2, rowNumber: 5, values: ['A-1', '13800138000', '2024-01-15'] })).toEqual([
      '订单',
      '',
      '13800138000',
      '',
      '',
      '',
      '',
      'A-1',
      '2024-01-15',
    ]);
    expect(mapper.clean({ sheetIndex: 0, rowNumber: 2, values: ['张三', '13800138000', '江苏省', '南京市', '玄武区', '中山路1号'] })).toEqual([
      '人员',
      '张三',
      '13800138000',
      '江苏省',
      '南京市',
      '玄武区',
      '中山路1号',
      '',
      '',
    ]);
    expect(mapper.exception({ sheetIndex: 2, rowNumber: 9, values: ['A-2', '123', '2024-13-01'], errors: [phoneError] })).toEqual([
      '订单',
      '9',
      '',
      '123',
      '',
      'A-2',
      '2024-13-01',
      '手机号: 手机号码位数不正确（123）',
    ]);
  });

  it('keeps a data column literally named 工作表 or 行号 apart from the added ones', () => {
    const odd = sheet('奇怪', 0, ['工作表', '行号']);
    const other = sheet('其他', 1, ['x']);
    const mapper = createRowMapper([odd, other]);
    expect(mapper.cleanColumns).toEqual(['工作表', '工作表', '行号', 'x']);
    expect(mapper.clean({ sheetIndex: 0, rowNumber: 2, values: ['v1', 'v2'] })).toEqual(['奇怪', 'v1', 'v2', '']);
    expect(mapper.exception({ sheetIndex: 0, rowNumber: 4, values: ['v1', 'v2'], errors: [] })).toEqual(['奇怪', '4', 'v1', 'v2', '', '']);
  });

  it('rejects an unknown sheet index', () => {
    const mapper = createRowMapper(sheets);
    expect(() => mapper.exception({ sheetIndex: 1, rowNumber: 2, values: [], errors: [] })).toThrow(/sheet index 1/);
  });
});

describe('formatReasons', () => {
  it('joins one part per failing field', () => {
    expect(formatReasons([phoneError, addressError])).toBe('手机号: 手机号码位数不正确（123）；地址: 缺少区/县（江苏省南京市）');
  });

  it('leaves out a blank value', () => {
    expect(formatReasons([{ ...addressError, value: '' }])).toBe('地址: 缺少区/县');
    expect(formatReasons([{ ...addressError, value: '  \n ' }])).toBe('地址: 缺少区/县');
  });

  it('shows the value on one line and shortens a long one', () => {
    expect(formatReasons([{ ...phoneError, value: '138\r\n0013 8000' }])).toBe('手机号: 手机号码位数不正确（138 0013 8000）');
    const long = '😀'.repeat(60);
    expect(formatReasons([{ ...phoneError, value: long }])).toBe(`手机号: 手机号码位数不正确（${'😀'.repeat(50)}…）`);
  });

  it('is empty without errors', () => {
    expect(formatReasons([])).toBe('');
  });
});
