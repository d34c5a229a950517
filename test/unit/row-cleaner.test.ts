import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/cleaning/address.js';
import { buildSheetLayout } from '../../src/cleaning/columns.js';
import { cleanDate } from '../../src/cleaning/date.js';
import { cleanNumber } from '../../src/cleaning/number.js';
import { cleanPhone } from '../../src/cleaning/phone.js';
import { cellText, isEmptyRow, RowCleaner } from '../../src/cleaning/row.js';
import type { CleanResult } from '../../src/cleaning/types.js';
import { ValueMemo } from '../../src/cleaning/value-memo.js';
import type { CellValue, CleanRecord, ColumnType, ExceptionRecord } from '../../src/domain/index.js';

const HEADERS = ['姓名', '手机', '生日', '地址', '金额'];
const TYPES: ColumnType[] = ['text', 'phone', 'date', 'address', 'number'];
const layout = buildSheetLayout('客户', 3, HEADERS, TYPES);

function cleanRow(cells: CellValue[], cleaner = new RowCleaner(layout)): CleanRecord {
  const result = cleaner.clean(7, cells);
  if (!('clean' in result)) throw new Error(`expected a clean row, got ${JSON.stringify(result.exception.errors)}`);
  return result.clean;
}

function exceptionRow(cells: CellValue[], cleaner = new RowCleaner(layout)): ExceptionRecord {
  const result = cleaner.clean(9, cells);
  if (!('exception' in result)) throw new Error(`expected an exception, got ${JSON.stringify(result.clean.values)}`);
  return result.exception;
}

/** The message a cleaner gives for a value (the row cleaner must pass it on unchanged). */
function failure<T>(result: CleanResult<T>): { errorType: string; message: string } {
  if (result.ok) throw new Error('expected the cleaner to reject the value');
  return { errorType: result.errorType, message: result.message };
}

describe('RowCleaner: clean rows', () => {
  it('normalizes every type and splits the address into four values in cleanColumns order', () => {
    const record = cleanRow([' 张三 ', '138-1234-5678', '2024/1/5', '江苏省南京市玄武区中山路1号', '1,234.50']);
    expect(record).toEqual({
      sheetIndex: 3,
      rowNumber: 7,
      values: ['张三', '13812345678', '2024-01-05', '江苏省', '南京市', '玄武区', '中山路1号', '1234.5'],
    });
    expect(record.values).toHaveLength(layout.cleanColumns.length);
  });

  it('blank typed cells are not errors: empty values, four for an address', () => {
    for (const blank of [null, '', '   ', '\t', '\u3000', '\u00a0', '\u200b', '\ufeff']) {
      const record = cleanRow(['张三', blank, blank, blank, blank]);
      expect(record.values, JSON.stringify(blank)).toEqual(['张三', '', '', '', '', '', '', '']);
    }
  });

  it('text is trimmed of every kind of blank and otherwise kept as is', () => {
    expect(cleanRow(['\u3000 张 三\u00a0\u200b', null, null, null, null]).values[0]).toBe('张 三');
    expect(cleanRow(['=1+1', null, null, null, null]).values[0]).toBe('=1+1');
  });

  it('native cells: numbers, dates and booleans', () => {
    const dateWithTime = new Date(Date.UTC(1992, 11, 1, 8, 30, 5));
    expect(cleanRow([12.5, 13812345678, new Date(Date.UTC(2024, 0, 15)), null, 1234.5]).values).toEqual([
      '12.5',
      '13812345678',
      '2024-01-15',
      '',
      '',
      '',
      '',
      '1234.5',
    ]);
    // A date-time cell: the date column keeps the day; a text column shows date and time.
    expect(cleanRow([dateWithTime, null, dateWithTime, null, null]).values.slice(0, 3)).toEqual(['1992-12-01 08:30:05', '', '1992-12-01']);
    // An Excel serial in a date column (a numeric cell without a date format).
    expect(cleanRow([true, null, 45306, null, 0]).values).toEqual(['TRUE', '', '2024-01-15', '', '', '', '', '0']);
  });

  it('passes the 1904 date system to the date cleaner', () => {
    expect(cleanRow(['x', null, 1, null, null]).values[2]).toBe('1900-01-01');
    expect(cleanRow(['x', null, 1, null, null], new RowCleaner(layout, { date1904: true })).values[2]).toBe('1904-01-02');
    expect(cleanRow(['x', null, 0, null, null], new RowCleaner(layout, { date1904: true })).values[2]).toBe('1904-01-01');
  });

  it('extra cells that are blank are not a column-count mismatch', () => {
    expect(cleanRow(['张三', '13812345678', '2024-01-15', '北京市朝阳区建国路88号', '5', '', null, '  ']).values).toEqual([
      '张三',
      '13812345678',
      '2024-01-15',
      '北京市',
      '北京市',
      '朝阳区',
      '建国路88号',
      '5',
    ]);
  });
});

describe('RowCleaner: exceptions', () => {
  it('lists every failing field in column order with its original value, error type and message', () => {
    const cells = [' 张三 ', '12345', '2024-02-30', '火星基地1号', '12元'];
    const exception = exceptionRow(cells);
    expect(exception).toEqual({
      sheetIndex: 3,
      rowNumber: 9,
      values: cells,
      errors: [
        { field: '手机', value: '12345', ...failure(cleanPhone('12345')) },
        { field: '生日', value: '2024-02-30', ...failure(cleanDate('2024-02-30')) },
        { field: '地址', value: '火星基地1号', ...failure(parseAddress('火星基地1号')) },
        { field: '金额', value: '12元', ...failure(cleanNumber('12元')) },
      ],
    });
    expect(exception.errors.map((e) => e.errorType)).toEqual(['INVALID_PHONE', 'INVALID_DATE', 'INVALID_ADDRESS', 'INVALID_NUMBER']);
  });

  it('passes on every error type of the cleaners', () => {
    const errorsOf = (cells: CellValue[]) => exceptionRow(cells).errors.map((e) => [e.field, e.errorType]);
    expect(errorsOf(['x', null, '1899-12-31', null, null])).toEqual([['生日', 'DATE_OUT_OF_RANGE']]);
    expect(errorsOf(['x', null, null, '北京', null])).toEqual([['地址', 'INCOMPLETE_ADDRESS']]);
    expect(errorsOf(['x', null, null, '朝阳区建国路1号', null])).toEqual([['地址', 'AMBIGUOUS_ADDRESS']]);
  });

  it('one failing field is enough; valid fields of the row are not listed', () => {
    const exception = exceptionRow(['张三', '13812345678', 'abc', '北京市朝阳区建国路88号', '5']);
    expect(exception.errors).toEqual([{ field: '生日', value: 'abc', ...failure(cleanDate('abc')) }]);
    expect(exception.values).toEqual(['张三', '13812345678', 'abc', '北京市朝阳区建国路88号', '5']);
  });

  it('original values of native cells are shown as the user sees them', () => {
    const exception = exceptionRow([null, true, new Date(Date.UTC(1850, 0, 2)), 12345, new Date(Date.UTC(2024, 0, 1, 9, 0, 0))]);
    expect(exception.values).toEqual(['', 'TRUE', '1850-01-02', '12345', '2024-01-01 09:00:00']);
    expect(exception.errors.map((e) => [e.field, e.value, e.errorType])).toEqual([
      ['手机', 'TRUE', 'INVALID_PHONE'],
      ['生日', '1850-01-02', 'DATE_OUT_OF_RANGE'],
      ['地址', '12345', 'INVALID_ADDRESS'],
      ['金额', '2024-01-01 09:00:00', 'INVALID_NUMBER'],
    ]);
  });

  it('more cells than headers (not blank) is a COLUMN_COUNT_MISMATCH; the extra cells are kept', () => {
    const exception = exceptionRow(['张三', '13812345678', '2024-01-15', '北京市朝阳区建国路88号', '5', '多余']);
    expect(exception.values).toEqual(['张三', '13812345678', '2024-01-15', '北京市朝阳区建国路88号', '5', '多余']);
    expect(exception.errors).toEqual([{ field: '', value: '', errorType: 'COLUMN_COUNT_MISMATCH', message: '列数不一致：表头有5列，本行有6列' }]);
  });

  it('fewer cells than headers is a COLUMN_COUNT_MISMATCH, listed with the failing fields that are present', () => {
    const exception = exceptionRow(['王五', '123']);
    expect(exception.values).toEqual(['王五', '123', '', '', '']);
    expect(exception.errors.map((e) => [e.field, e.errorType])).toEqual([
      ['', 'COLUMN_COUNT_MISMATCH'],
      ['手机', 'INVALID_PHONE'],
    ]);
    expect(exception.errors[0].message).toBe('列数不一致：表头有5列，本行有2列');
  });

  it('a sheet with a single address column: an invalid address gives the exception, a blank one four empty values', () => {
    const addressOnly = buildSheetLayout('S', 0, ['住址'], ['address']);
    const cleaner = new RowCleaner(addressOnly);
    expect(cleaner.clean(2, ['  '])).toEqual({ clean: { sheetIndex: 0, rowNumber: 2, values: ['', '', '', ''] } });
    expect(cleaner.clean(3, ['上海'])).toMatchObject({
      exception: { rowNumber: 3, values: ['上海'], errors: [{ field: '住址', errorType: 'INCOMPLETE_ADDRESS' }] },
    });
  });
});

describe('cellText', () => {
  it.each<[CellValue, string]>([
    [null, ''],
    ['  a b  ', '  a b  '],
    [0, '0'],
    [12.5, '12.5'],
    [-3, '-3'],
    [13812345678, '13812345678'],
    [Number.NaN, ''],
    [Number.POSITIVE_INFINITY, ''],
    [true, 'TRUE'],
    [false, 'FALSE'],
    [new Date(Date.UTC(2024, 0, 5)), '2024-01-05'],
    [new Date(Date.UTC(2024, 11, 31, 23, 59, 59)), '2024-12-31 23:59:59'],
    [new Date(Date.UTC(1900, 0, 1, 0, 0, 1)), '1900-01-01 00:00:01'],
    [new Date(Number.NaN), ''],
  ])('%s → %s', (value, text) => {
    expect(cellText(value)).toBe(text);
  });
});

describe('isEmptyRow', () => {
  it('is true for rows with no visible content', () => {
    for (const row of [[], [null], ['', ' ', '\t', '\r\n'], ['\u3000', '\u00a0', '\u200b', '\ufeff', null]]) {
      expect(isEmptyRow(row), JSON.stringify(row)).toBe(true);
    }
  });

  it('is false as soon as one cell has content, including 0, FALSE and dates', () => {
    for (const row of [['', 'a'], [0], [false], [null, new Date(Date.UTC(2024, 0, 1))], ['  x  ']]) {
      expect(isEmptyRow(row), JSON.stringify(row)).toBe(false);
    }
  });
});

describe('RowCleaner: identifier columns', () => {
  const headers = ['身份证号', '信用代码', '邮箱'];
  const types: ColumnType[] = ['id_card', 'credit_code', 'email'];
  const idLayout = buildSheetLayout('S', 0, headers, types);

  it('an id_card column is followed by its birth date and gender', () => {
    expect(idLayout.cleanColumns).toEqual(['身份证号', '身份证号_出生日期', '身份证号_性别', '信用代码', '邮箱']);
    expect(new RowCleaner(idLayout).clean(2, ['110105491231002', '91350100m000100y43', 'A@B.COM'])).toEqual({
      clean: { sheetIndex: 0, rowNumber: 2, values: ['11010519491231002X', '1949-12-31', '女', '91350100M000100Y43', 'A@b.com'] },
    });
    expect(new RowCleaner(idLayout).clean(3, [null, null, null])).toMatchObject({ clean: { values: ['', '', '', '', ''] } });
  });

  it('invalid identifiers are exceptions with their reasons', () => {
    const result = new RowCleaner(idLayout).clean(2, ['11010519491231002Y', '91350100M000100Y44', 'zhang']);
    expect(result).toMatchObject({
      exception: {
        errors: [
          { field: '身份证号', errorType: 'INVALID_ID_CARD' },
          { field: '信用代码', errorType: 'INVALID_CREDIT_CODE', message: '统一社会信用代码校验位错误' },
          { field: '邮箱', errorType: 'INVALID_EMAIL', message: '邮箱缺少@' },
        ],
      },
    });
  });

  it('derived columns already in the sheet (a clean output cleaned again) are not added twice', () => {
    const again = buildSheetLayout('S', 0, ['身份证号', '身份证号_出生日期', '身份证号_性别'], ['id_card', 'date', 'text']);
    expect(again.cleanColumns).toEqual(['身份证号', '身份证号_出生日期', '身份证号_性别']);
    expect(new RowCleaner(again).clean(2, ['11010519491231002X', '1949-12-31', '女'])).toMatchObject({
      clean: { values: ['11010519491231002X', '1949-12-31', '女'] },
    });
  });
});

describe('RowCleaner: rows the parser could not decode', () => {
  it('invalidEncoding makes the row an exception with INVALID_ENCODING, whatever its cells', () => {
    const result = new RowCleaner(layout).clean(4, ['张\ufffd三', '13812345678', null, null, null], { invalidEncoding: true });
    expect(result).toEqual({
      exception: {
        sheetIndex: 3,
        rowNumber: 4,
        values: ['张\ufffd三', '13812345678', '', '', ''],
        errors: [{ field: '', value: '', errorType: 'INVALID_ENCODING', message: '文件编码错误：该行含有无法解码的字符' }],
      },
    });
    expect(new RowCleaner(layout).clean(4, ['张三', '123', null, null, null], { invalidEncoding: true })).toMatchObject({
      exception: { errors: [{ errorType: 'INVALID_ENCODING' }, { field: '手机', errorType: 'INVALID_PHONE' }] },
    });
  });
});

describe('RowCleaner: memoized results', () => {
  it('gives the same records with and without the memo, also past its capacity', () => {
    const rows: CellValue[][] = [];
    const addresses = ['江苏省南京市玄武区中山路1号', '北京', '朝阳区建国路1号', '上海市浦东新区世纪大道100号', '火星'];
    const dates = ['2024/1/5', 45306, '2023-02-29', '20240115'];
    for (let i = 0; i < 60; i++) rows.push([`n${i}`, null, dates[i % dates.length], addresses[(i * 7) % addresses.length], null]);
    const memoized = new RowCleaner(layout, { memoEntriesPerColumn: 3 });
    const plain = new RowCleaner(layout, { memoEntriesPerColumn: 0 });
    rows.forEach((row, i) => expect(memoized.clean(i, row)).toEqual(plain.clean(i, row)));
  });
});

describe('ValueMemo', () => {
  const fill = (memo: ValueMemo<string>, keys: readonly string[]) => {
    let computed = 0;
    for (const key of keys) memo.get(key, () => `${++computed}`);
    return computed;
  };

  it('remembers repeated values, and stays on while they repeat', () => {
    const memo = new ValueMemo<string>(4);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i % 3}`);
    expect(fill(memo, keys)).toBe(3);
    expect(memo.active).toBe(true);
  });

  it('turns itself off when it fills up with values that hardly repeat, and still gives the right results', () => {
    const memo = new ValueMemo<string>(4);
    expect(fill(memo, ['a', 'b', 'c', 'd', 'e'])).toBe(5);
    expect(memo.active).toBe(false);
    expect(memo.get('a', () => 'fresh')).toBe('fresh');
  });

  it('starts afresh at capacity, without turning off, when at least a quarter of the lookups were hits', () => {
    const memo = new ValueMemo<string>(4);
    expect(fill(memo, ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'e'])).toBe(5);
    expect(memo.active).toBe(true);
  });
});
