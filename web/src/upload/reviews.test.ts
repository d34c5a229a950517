import { describe, expect, it } from 'vitest';
import type { PreviewSheet } from '../types.js';
import { newReview, sampleValues, uploadOf, withCsvOption, withDedupe, withOverride, withPreview, withPreviewError } from './reviews.js';

const file = (name: string) => new File(['a,b\n'], name);

describe('header reviews', () => {
  it('a review loads, then holds the preview or the error; answers for a closed review change nothing', () => {
    const list = [newReview('r1', file('a.csv')), newReview('r2', file('b.csv'))];
    expect(list[0]).toMatchObject({ status: 'loading', result: null, error: null, overrides: {} });
    const result = { format: 'csv' as const, sheets: [] };
    const ready = withPreview(list, 'r1', result);
    expect(ready[0]).toMatchObject({ status: 'ready', result });
    expect(ready[1]).toBe(list[1]);
    expect(withPreviewError(ready, 'r2', { code: 'CORRUPTED_FILE', message: null })[1]).toMatchObject({ status: 'error', error: { code: 'CORRUPTED_FILE' } });
    expect(withPreview(list, 'gone', result)).toEqual(list);
  });

  it('uploads overrides only when a column was overridden; "auto" removes an override', () => {
    const review = newReview('r1', file('a.csv'));
    expect(uploadOf(review)).toEqual({ file: review.file, columnTypes: undefined });
    let list = withOverride([review], 'r1', '电话', 'phone');
    list = withOverride(list, 'r1', '备注', 'text');
    expect(uploadOf(list[0]).columnTypes).toEqual({ 电话: 'phone', 备注: 'text' });
    list = withOverride(list, 'r1', '电话', null);
    list = withOverride(list, 'r1', '备注', null);
    expect(uploadOf(list[0]).columnTypes).toBeUndefined();
  });

  it("a column's samples are its non-empty values in the first three rows", () => {
    const sheet: PreviewSheet = {
      name: 'Sheet1',
      headers: ['姓名', '电话'],
      detectedTypes: ['text', 'phone'],
      sampleRows: [
        ['张三', 13812345678],
        ['李四', null],
        ['', ''],
        ['王五', '13900000000'],
      ],
    };
    expect(sampleValues(sheet, 0)).toEqual(['张三', '李四']);
    expect(sampleValues(sheet, 1)).toEqual(['13812345678']);
  });

  it('CSV settings and dedupe go with the upload; a changed setting asks for the preview again', () => {
    const review = newReview('r1', file('a.csv'));
    expect(uploadOf(review)).toEqual({ file: review.file, columnTypes: undefined });
    const ready = withPreview([review], 'r1', { format: 'csv', sheets: [] });
    const encoded = withCsvOption(ready, 'r1', 'encoding', 'gb18030');
    expect(encoded[0]).toMatchObject({ status: 'loading', result: null, csv: { encoding: 'gb18030', delimiter: null } });
    const chosen = withDedupe(withCsvOption(encoded, 'r1', 'delimiter', ';'), 'r1', true);
    expect(uploadOf(chosen[0])).toEqual({ file: review.file, columnTypes: undefined, encoding: 'gb18030', delimiter: ';', dedupe: 'exact' });
    expect(uploadOf(withDedupe(withCsvOption(chosen, 'r1', 'encoding', null), 'r1', false)[0])).toEqual({
      file: review.file,
      columnTypes: undefined,
      delimiter: ';',
    });
  });
});
