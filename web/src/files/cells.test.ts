import { describe, expect, it } from 'vitest';
import { cellClass, cellText, errorsByField } from './cells.js';

describe('preview cells', () => {
  it('groups a row’s field errors by column', () => {
    const grouped = errorsByField([
      { field: '手机号', value: '1', errorType: 'INVALID_PHONE', message: 'a' },
      { field: '地址', value: 'x', errorType: 'INVALID_ADDRESS', message: 'b' },
      { field: '手机号', value: '1', errorType: 'INVALID_PHONE', message: 'c' },
    ]);
    expect(grouped.get('手机号')?.map((error) => error.message)).toEqual(['a', 'c']);
    expect(grouped.get('地址')).toHaveLength(1);
  });

  it('shows missing values as empty and wraps only long ones', () => {
    expect([cellText(null), cellText(undefined), cellText(0), cellText(false), cellText('北京')]).toEqual(['', '', '0', 'false', '北京']);
    expect(cellClass('short')).toBeUndefined();
    expect(cellClass('short', 'cell-error')).toBe('cell-error');
    expect(cellClass('广东省深圳市南山区科技园南区某某大厦二十三层 1208 室')).toBe('cell-long');
    expect(cellClass('x'.repeat(25), 'cell-error')).toBe('cell-error cell-long');
  });
});
