import { describe, expect, it } from 'vitest';
import { describeError } from '../i18n/errors.js';
import { createTranslator } from '../i18n/translate.js';
import { CSV_PREVIEW_BYTES, DEFAULT_LIMITS, previewSlice, validateFile } from './validateFile.js';

const limits = { maxFileSize: 1024 * 1024, acceptedExtensions: ['.xlsx', '.xls', '.csv'] };
const zh = createTranslator('zh');

describe('validateFile', () => {
  it.each(['a.csv', 'A.CSV', '数据.xlsx', 'old.xls', 'x.y.csv'])('accepts %s', (name) => {
    expect(validateFile({ name, size: 10 }, limits)).toBeNull();
  });

  it.each(['a.pdf', 'csv', '.csv', 'a.csv.exe', 'a'])('refuses the extension of %s', (name) => {
    expect(validateFile({ name, size: 10 }, limits)?.code).toBe('UNSUPPORTED_FILE_TYPE');
  });

  it('refuses empty and oversized files with readable sizes', () => {
    expect(validateFile({ name: 'a.csv', size: 0 }, limits)?.code).toBe('EMPTY_FILE');
    const tooBig = validateFile({ name: 'a.csv', size: 1024 * 1024 + 1 }, limits);
    expect(tooBig?.code).toBe('FILE_SIZE_EXCEEDED');
    expect(describeError(tooBig!, zh).friendly).toBe('文件大小 1 MB 超过上限 1 MB。');
    expect(validateFile({ name: 'a.csv', size: 1024 * 1024 }, limits)).toBeNull();
    expect(validateFile({ name: 'a.csv', size: 10 ** 12 }, DEFAULT_LIMITS)).toBeNull();
  });

  it('previews only the first 256 KB of a CSV, and whole spreadsheets', () => {
    const csv = new File([new Uint8Array(CSV_PREVIEW_BYTES + 10)], 'big.csv');
    expect(previewSlice(csv).size).toBe(CSV_PREVIEW_BYTES);
    const small = new File(['a,b'], 'small.csv');
    expect(previewSlice(small)).toBe(small);
    const xlsx = new File([new Uint8Array(CSV_PREVIEW_BYTES + 10)], 'big.xlsx');
    expect(previewSlice(xlsx)).toBe(xlsx);
  });
});
