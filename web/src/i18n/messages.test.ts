import { describe, expect, expectTypeOf, it } from 'vitest';
import { topErrorTypes } from '../components/StatisticsPanel.js';
import type { CardState } from '../progress/machine.js';
import type { ColumnType, FieldError, Phase } from '../types.js';
import { describeError, fieldErrorName, storedError } from './errors.js';
import { en, zh, type MessageKey } from './messages.js';
import { createTranslator, fillPlaceholders } from './translate.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('dictionaries', () => {
  it('English uses the same placeholders as Chinese for every key', () => {
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      expect([key, placeholders(en[key])]).toEqual([key, placeholders(zh[key])]);
    }
  });

  it('every state, phase, column type and field error type the server defines has a name (checked by the compiler)', () => {
    // A type added in src/domain fails `npm run typecheck` here until both dictionaries name it.
    expectTypeOf<`state.${CardState}`>().toExtend<MessageKey>();
    expectTypeOf<`phase.${Phase}`>().toExtend<MessageKey>();
    expectTypeOf<`type.${ColumnType}`>().toExtend<MessageKey>();
    expectTypeOf<`fieldError.${FieldError['errorType']}`>().toExtend<MessageKey>();
  });

  it('every server error code has a sentence in both languages', () => {
    const codes = [
      'UNSUPPORTED_FILE_TYPE',
      'EMPTY_FILE',
      'FILE_SIZE_EXCEEDED',
      'CORRUPTED_FILE',
      'ROW_LIMIT_EXCEEDED',
      'COLUMN_LIMIT_EXCEEDED',
      'LINE_TOO_LONG',
      'ZIP_BOMB_DETECTED',
      'INVALID_COLUMN_TYPES',
      'INVALID_REQUEST',
      'JOB_NOT_FOUND',
      'FILE_NOT_FOUND',
      'INVALID_TASK_ID',
      'INVALID_STATE',
      'QUEUE_UNAVAILABLE',
      'DATABASE_UNAVAILABLE',
      'FILE_STORE_UNAVAILABLE',
      'UNAUTHORIZED',
      'PROCESSING_TIMEOUT',
      'CANCELLED',
      'INTERNAL_ERROR',
    ];
    for (const lang of ['zh', 'en'] as const) {
      const tr = createTranslator(lang);
      for (const code of codes) expect(tr.has(`error.${code}`), `${lang} ${code}`).toBe(true);
    }
  });
});

describe('error text', () => {
  const tr = createTranslator('zh');

  it('gives the friendly sentence and the server message when it adds something', () => {
    expect(describeError({ code: 'QUEUE_UNAVAILABLE', message: 'Redis 连接失败' }, tr)).toEqual({
      friendly: '任务队列暂时不可用，文件没有被接收。请稍后重试。',
      server: 'Redis 连接失败',
    });
    expect(describeError({ code: 'NEW_CODE', message: null }, tr)).toEqual({ friendly: '处理失败（NEW_CODE）。', server: null });
    expect(describeError({ code: 'UNSUPPORTED_FILE_TYPE', message: null, params: { name: 'a.pdf', extensions: '.csv' } }, tr).friendly).toBe(
      '“a.pdf”不是 .csv 文件。',
    );
  });

  it("reads a task's stored error, with a fallback for a missing code", () => {
    expect(storedError({ errorCode: 'CORRUPTED_FILE', errorMessage: '引号' })).toEqual({ code: 'CORRUPTED_FILE', message: '引号' });
    expect(storedError({ errorCode: null, errorMessage: null })).toEqual({ code: 'INTERNAL_ERROR', message: null });
    expect(storedError({ errorCode: null, errorMessage: null }, 'PROCESSING_TIMEOUT').code).toBe('PROCESSING_TIMEOUT');
  });

  it('names field errors, falling back to the code', () => {
    expect(fieldErrorName('INVALID_PHONE', tr)).toBe('手机/电话号码无效');
    expect(fieldErrorName('SOMETHING_NEW', tr)).toBe('SOMETHING_NEW');
  });

  it('fills placeholders, leaving unknown ones visible', () => {
    expect(fillPlaceholders('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });

  it('formats durations and bytes', () => {
    expect(tr.duration(0.2)).toBe('1 秒');
    expect(tr.bytes(0)).toBe('0 B');
    expect(tr.bytes(5 * 1024 ** 3)).toBe('5 GB');
    expect(tr.bytes(500 * 1024 ** 2)).toBe('500 MB');
  });
});

describe('statistics helpers', () => {
  it('top error types: most frequent first, ties by name, zeros dropped', () => {
    expect(topErrorTypes({ B: 2, A: 2, C: 9, D: 0 }, 2)).toEqual([
      ['C', 9],
      ['A', 2],
    ]);
    expect(topErrorTypes(undefined)).toEqual([]);
  });
});
