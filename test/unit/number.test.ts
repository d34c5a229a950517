import { describe, expect, it } from 'vitest';
import { cleanNumber } from '../../src/cleaning/number.js';
import type { CellValue } from '../../src/domain/index.js';

describe('cleanNumber: accepted values give a canonical decimal string', () => {
  it.each<[CellValue, string]>([
    // JS numbers
    [0, '0'],
    [-0, '0'],
    [42, '42'],
    [-42, '-42'],
    [3.14, '3.14'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e-10, '-0.00000000025'],
    [123456789012, '123456789012'],
    [1e300, '1e+300'],
    [Number.MIN_VALUE, '5e-324'],
    // text: already canonical
    ['0', '0'],
    ['7', '7'],
    ['-12.5', '-12.5'],
    ['0.25', '0.25'],
    // text: normalized
    ['  42  ', '42'],
    ['+5', '5'],
    ['-0', '0'],
    ['-0.000', '0'],
    ['007', '7'],
    ['0.50', '0.5'],
    ['1.50', '1.5'],
    ['2.0', '2'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['−3', '-3'], // U+2212 minus sign
    // thousands separators
    ['1,234', '1234'],
    ['1,234.5', '1234.5'],
    ['-1,234,567.890', '-1234567.89'],
    ['12,345,678', '12345678'],
    // full width
    ['１２３', '123'],
    ['－３．５０', '-3.5'],
    ['１，２３４', '1234'],
    ['　99　', '99'],
    // exponent
    ['1e3', '1000'],
    ['1.5E-3', '0.0015'],
    ['-2.5e+2', '-250'],
    // percent divides by 100, exactly
    ['50%', '0.5'],
    ['12.5%', '0.125'],
    ['-3 %', '-0.03'],
    ['100%', '1'],
    ['0.1%', '0.001'],
    // long text keeps every digit
    ['12345678901234567890', '12345678901234567890'],
    ['0.1234567890123456789', '0.1234567890123456789'],
  ])('%j → %s', (input, expected) => {
    expect(cleanNumber(input)).toEqual({ ok: true, value: expected });
  });
});

describe('cleanNumber: rejected values are INVALID_NUMBER', () => {
  it.each<[CellValue, string]>([
    ['abc', '非法字符「a」'],
    ['12abc', '非法字符「a」'],
    ['1.2.3', '非法字符「.」'],
    ['1,23', '千分位'],
    ['1234,567', '千分位'],
    [',123', '千分位'],
    ['1,234,', '千分位'],
    ['1.234,5', '非法字符「,」'],
    ['¥100', '非法字符「¥」'],
    ['100元', '非法字符「元」'],
    ['- 5', '非法字符'],
    ['--5', '非法字符'],
    ['1e', '指数'],
    ['1e1234567', '指数过大'],
    ['%', '非法字符'],
    ['-', '没有数字'],
    ['.', '没有数字'],
    ['NaN', '非法字符'],
    ['Infinity', '非法字符'],
    ['0x1F', '非法字符「x」'],
    ['', '为空'],
    ['  ', '为空'],
    [null, '为空'],
    [Number.NaN, '有限'],
    [Number.POSITIVE_INFINITY, '有限'],
    [true, '布尔'],
    [new Date(0), '日期'],
  ])('%j → %s', (input, reason) => {
    const result = cleanNumber(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errorType).toBe('INVALID_NUMBER');
    expect(result.message).toContain(reason);
  });
});

describe('cleanNumber: round trip', () => {
  it.each([0.1, -7.25, 1e-6, 123.456, 9007199254740991, 2 ** 70])('Number(clean(%d)) is the same number', (value) => {
    const result = cleanNumber(value);
    expect(result.ok && Number(result.value)).toBe(value);
  });
});
