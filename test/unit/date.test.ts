import { describe, expect, it } from 'vitest';
import { cleanDate } from '../../src/cleaning/date.js';
import type { CellValue, FieldErrorType } from '../../src/domain/index.js';

describe('cleanDate: accepted forms normalize to YYYY-MM-DD', () => {
  it.each<[CellValue, string]>([
    // ISO-like with each separator, padded and unpadded
    ['2024-01-15', '2024-01-15'],
    ['2024/01/15', '2024-01-15'],
    ['2024.01.15', '2024-01-15'],
    ['2024-1-5', '2024-01-05'],
    ['2024/1/5', '2024-01-05'],
    ['2024.1.5', '2024-01-05'],
    ['  2024-01-15 ', '2024-01-15'],
    // YYYYMMDD
    ['20240115', '2024-01-15'],
    [20240115, '2024-01-15'],
    // Chinese
    ['2024年1月15日', '2024-01-15'],
    ['2024年01月05日', '2024-01-05'],
    ['2024年1月15号', '2024-01-15'],
    ['2024 年 1 月 15 日', '2024-01-15'],
    ['2024年1月15', '2024-01-15'],
    // US month first, day first when the first part is > 12
    ['01/15/2024', '2024-01-15'],
    ['1/15/2024', '2024-01-15'],
    ['01-15-2024', '2024-01-15'],
    ['1.15.2024', '2024-01-15'],
    ['03/04/2024', '2024-03-04'],
    ['15/01/2024', '2024-01-15'],
    ['31-12-2024', '2024-12-31'],
    ['13.1.2024', '2024-01-13'],
    // date-times: the date part as written, no time-zone shift
    ['2024-01-15 10:30:00', '2024-01-15'],
    ['2024-01-15T23:30:00Z', '2024-01-15'],
    ['2024-01-15T23:30:00+08:00', '2024-01-15'],
    ['2024-01-15T00:30:00-05:00', '2024-01-15'],
    ['2024-01-15T23:30:00.123Z', '2024-01-15'],
    ['2024-01-15T23:30:00+0800', '2024-01-15'],
    ['2024-01-15T23:30', '2024-01-15'],
    ['2024/1/15 8:05', '2024-01-15'],
    ['01/15/2024 10:30 PM', '2024-01-15'],
    ['15/01/2024 23:59:59', '2024-01-15'],
    ['2024年1月15日 10:30', '2024-01-15'],
    ['20240115', '2024-01-15'],
    // Excel serials, 1900 system
    [45306, '2024-01-15'],
    [45306.75, '2024-01-15'],
    ['45306', '2024-01-15'],
    ['45306.5', '2024-01-15'],
    [1, '1900-01-01'],
    [59, '1900-02-28'],
    [61, '1900-03-01'],
    [36526, '2000-01-01'],
    [36585, '2000-02-29'],
    [73415, '2100-12-31'],
    // native spreadsheet date cells: UTC fields
    [new Date(Date.UTC(2024, 0, 15)), '2024-01-15'],
    [new Date(Date.UTC(2000, 1, 29)), '2000-02-29'],
    [new Date(Date.UTC(1900, 0, 1)), '1900-01-01'],
    [new Date(Date.UTC(2100, 11, 31, 23, 59, 59)), '2100-12-31'],
    // Unix timestamps read in China time (UTC+8)
    [1705334400, '2024-01-16'], // 2024-01-15T16:00:00Z = 2024-01-16 00:00 in Beijing
    [1705334399, '2024-01-15'],
    [1705334400000, '2024-01-16'],
    [1705334399999, '2024-01-15'],
    ['1705334400', '2024-01-16'],
    ['1705334400000', '2024-01-16'],
    [100000000, '1973-03-03'], // smallest 9-digit timestamp
    [999999999, '2001-09-09'],
    [100000000000, '1973-03-03'], // smallest 12-digit millisecond timestamp
    [4133951999, '2100-12-31'], // last second of the range in China time
    [4133951999999, '2100-12-31'],
    [1705334400.5, '2024-01-16'],
    // leap years
    ['2000-02-29', '2000-02-29'],
    ['2024-02-29', '2024-02-29'],
    ['1904-02-29', '1904-02-29'],
    // range ends
    ['1900-01-01', '1900-01-01'],
    ['2100-12-31', '2100-12-31'],
    // full width
    ['２０２４－０１－１５', '2024-01-15'],
    ['１９９０／５／１', '1990-05-01'],
    ['２０２４年１月１５日', '2024-01-15'],
    ['２０２４０１１５', '2024-01-15'],
  ])('%j → %s', (input, expected) => {
    expect(cleanDate(input)).toEqual({ ok: true, value: expected });
  });
});

describe('cleanDate: 1904 date system', () => {
  it.each<[CellValue, string]>([
    [0, '1904-01-01'],
    [1, '1904-01-02'],
    [59, '1904-02-29'],
    [60, '1904-03-01'],
    [43844, '2024-01-15'], // 45306 - 1462
    ['43844', '2024-01-15'],
    [71953, '2100-12-31'],
  ])('%j → %s', (input, expected) => {
    expect(cleanDate(input, { date1904: true })).toEqual({ ok: true, value: expected });
  });

  it('leaves text and timestamps unaffected', () => {
    expect(cleanDate('2024-01-15', { date1904: true })).toEqual({ ok: true, value: '2024-01-15' });
    expect(cleanDate(1705334400, { date1904: true })).toEqual({ ok: true, value: '2024-01-16' });
  });

  it('rejects serials past 2100', () => {
    expect(cleanDate(71954, { date1904: true })).toMatchObject({ ok: false, errorType: 'DATE_OUT_OF_RANGE' });
  });
});

describe('cleanDate: rejected values', () => {
  it.each<[CellValue, FieldErrorType, string]>([
    // impossible calendar dates
    ['2023-02-29', 'INVALID_DATE', '2023年2月只有28天'],
    ['1900-02-29', 'INVALID_DATE', '1900年2月只有28天'],
    ['2100-02-29', 'INVALID_DATE', '2100年2月只有28天'],
    ['2024-04-31', 'INVALID_DATE', '4月只有30天'],
    ['2024-13-01', 'INVALID_DATE', '月份无效（13）'],
    ['2024-00-10', 'INVALID_DATE', '月份无效（0）'],
    ['2024-01-00', 'INVALID_DATE', '日无效（0）'],
    ['2024-01-32', 'INVALID_DATE', '日无效（32）'],
    ['20230229', 'INVALID_DATE', '只有28天'],
    [20241301, 'INVALID_DATE', '月份无效'],
    ['2024年2月30日', 'INVALID_DATE', '只有29天'],
    ['13/13/2024', 'INVALID_DATE', '月份无效'],
    ['02/30/2024', 'INVALID_DATE', '只有29天'],
    // Excel's fictitious leap day, serial 0
    [60, 'INVALID_DATE', '1900-02-29'],
    ['60', 'INVALID_DATE', '1900-02-29'],
    [60.25, 'INVALID_DATE', '1900-02-29'],
    [0, 'INVALID_DATE', '序列号0'],
    // out of range
    ['1899-12-31', 'DATE_OUT_OF_RANGE', '1899'],
    ['2101-01-01', 'DATE_OUT_OF_RANGE', '2101'],
    ['0001-01-01', 'DATE_OUT_OF_RANGE', '超出范围'],
    ['18991231', 'DATE_OUT_OF_RANGE', '1899'],
    ['12/31/1899', 'DATE_OUT_OF_RANGE', '1899'],
    ['2101年1月1日', 'DATE_OUT_OF_RANGE', '2101'],
    [73416, 'DATE_OUT_OF_RANGE', '2101-01-01'],
    [99999, 'DATE_OUT_OF_RANGE', '超出范围'],
    [4133952000, 'DATE_OUT_OF_RANGE', '2101-01-01'], // first second of 2101 in China time
    [4133952000000, 'DATE_OUT_OF_RANGE', '2101-01-01'],
    [9999999999, 'DATE_OUT_OF_RANGE', '超出范围'],
    [new Date(Date.UTC(1899, 11, 31)), 'DATE_OUT_OF_RANGE', '1899'],
    [new Date(Date.UTC(2101, 0, 1)), 'DATE_OUT_OF_RANGE', '2101'],
    // unrecognized
    ['hello', 'INVALID_DATE', '无法识别'],
    ['2024-01/15', 'INVALID_DATE', '无法识别'],
    ['2024-01', 'INVALID_DATE', '无法识别'],
    ['2024-001-15', 'INVALID_DATE', '无法识别'],
    ['01/15/24', 'INVALID_DATE', '4位'],
    ['2024-01-15 25:00', 'INVALID_DATE', '时间'],
    ['2024-01-15 10:61', 'INVALID_DATE', '时间'],
    ['2024-01-15 13:00 PM', 'INVALID_DATE', '时间'],
    ['2024-01-15 (周一)', 'INVALID_DATE', '无法识别的内容'],
    ['2024-01-15abc', 'INVALID_DATE', '无法识别的内容'],
    ['Jan 15, 2024', 'INVALID_DATE', '无法识别'],
    ['240115', 'INVALID_DATE', '6位'],
    [240115, 'INVALID_DATE', '6位'],
    ['17053344000', 'INVALID_DATE', '11位'],
    ['12345678901234', 'INVALID_DATE', '14位'],
    [-1, 'INVALID_DATE', '负数'],
    [Number.NaN, 'INVALID_DATE', '无效'],
    [Number.POSITIVE_INFINITY, 'INVALID_DATE', '无效'],
    [20240115.5, 'INVALID_DATE', '无法识别'],
    [new Date(Number.NaN), 'INVALID_DATE', '无效'],
    [true, 'INVALID_DATE', '布尔'],
    ['', 'INVALID_DATE', '为空'],
    ['   ', 'INVALID_DATE', '为空'],
    [null, 'INVALID_DATE', '为空'],
  ])('%j → %s (%s)', (input, errorType, reason) => {
    const result = cleanDate(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errorType).toBe(errorType);
    expect(result.message).toContain(reason);
  });
});
