import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { classifyError, retryDelay, shouldRetry } from '../../src/queue/error-handler.js';
import { TaskTimeoutError } from '../../src/queue/timeout-manager.js';
import { StaleAttemptError } from '../../src/storage/index.js';

const coded = (code: string | number, message = 'boom') => Object.assign(new Error(message), { code });

describe('classifyError (SPEC R8)', () => {
  it.each([
    'ECONNRESET',
    'ETIMEDOUT',
    'ENOMEM',
    'ENOSPC',
    'ECONNREFUSED',
    'EPIPE',
    'EAI_AGAIN',
    'SQLITE_BUSY',
    'PROTOCOL_CONNECTION_LOST',
    'ER_LOCK_DEADLOCK',
    '57P01',
    '08006',
    '40P01',
  ])('retries %s', (code) => {
    expect(classifyError(coded(code))).toEqual({ kind: 'retryable', code, message: 'boom' });
  });

  it.each(['EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'EROFS'])('does not retry %s (permission / missing file)', (code) => {
    expect(classifyError(coded(code))).toMatchObject({ kind: 'permanent', code });
  });

  it.each([
    'UNSUPPORTED_FILE_TYPE',
    'CORRUPTED_FILE',
    'EMPTY_FILE',
    'FILE_SIZE_EXCEEDED',
    'ZIP_BOMB_DETECTED',
    'FILE_NOT_FOUND',
    'PROCESSING_TIMEOUT',
  ] as const)('does not retry AppError %s (format / business errors)', (code) => {
    expect(classifyError(new AppError(code, '原因'))).toEqual({ kind: 'permanent', code, message: '原因' });
  });

  it('retries the product codes of unavailable dependencies', () => {
    expect(classifyError(new AppError('QUEUE_UNAVAILABLE', 'x')).kind).toBe('retryable');
    expect(classifyError(new AppError('DATABASE_UNAVAILABLE', 'x')).kind).toBe('retryable');
  });

  it('treats a superseded attempt and a timeout as permanent', () => {
    expect(classifyError(new StaleAttemptError('j', 't', 'cancelled')).kind).toBe('permanent');
    expect(classifyError(new TaskTimeoutError(1000))).toMatchObject({ kind: 'permanent', code: 'PROCESSING_TIMEOUT' });
  });

  it('recognizes connection loss by message when a driver gives no code', () => {
    expect(classifyError(new Error('Connection terminated unexpectedly'))).toMatchObject({ kind: 'retryable', code: 'CONNECTION_LOST' });
    expect(classifyError(new Error('socket hang up')).kind).toBe('retryable');
  });

  it('looks through wrapping errors (cause chains) in both directions', () => {
    const wrappedNetwork = new Error('insert failed', { cause: new Error('outer', { cause: coded('ECONNRESET') }) });
    expect(classifyError(wrappedNetwork)).toMatchObject({ kind: 'retryable', code: 'ECONNRESET' });
    // A permission problem stays permanent when a library wraps it in a plain Error.
    const wrappedPermission = new Error('cannot open upload', { cause: coded('EACCES', 'permission denied') });
    expect(classifyError(wrappedPermission)).toMatchObject({ kind: 'permanent', code: 'EACCES' });
    const wrappedCorrupt = new Error('read failed', { cause: new AppError('CORRUPTED_FILE', '文件已损坏') });
    expect(classifyError(wrappedCorrupt)).toMatchObject({ kind: 'permanent', code: 'CORRUPTED_FILE' });
  });

  it('lets an AppError of its own decide over its cause', () => {
    expect(classifyError(new AppError('QUEUE_UNAVAILABLE', 'x', undefined, { cause: coded('EACCES') })).kind).toBe('retryable');
    expect(classifyError(new AppError('CORRUPTED_FILE', 'x', undefined, { cause: coded('ECONNRESET') })).kind).toBe('permanent');
  });

  it('classifies an AggregateError by its parts (retryable if any part is)', () => {
    expect(classifyError(new AggregateError([coded('EACCES'), coded('ECONNREFUSED')]))).toMatchObject({ kind: 'retryable', code: 'ECONNREFUSED' });
    expect(classifyError(new AggregateError([coded('EACCES'), coded('EPERM')]))).toMatchObject({ kind: 'permanent', code: 'EACCES' });
  });

  it('does not retry programming errors, but gives unknown errors a bounded retry', () => {
    expect(classifyError(new TypeError('x is undefined'))).toMatchObject({ kind: 'permanent', code: 'INTERNAL_ERROR' });
    expect(classifyError(new Error('something odd'))).toMatchObject({ kind: 'retryable', code: 'INTERNAL_ERROR' });
    expect(classifyError('a string was thrown')).toMatchObject({ kind: 'retryable', message: 'a string was thrown' });
  });

  it('keeps numeric driver codes as strings', () => {
    expect(classifyError(coded(1213)).code).toBe('1213');
  });
});

describe('retry policy', () => {
  it('backs off exponentially from the base: 1×, 2×, 4×, 8×', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, 1000))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('caps the delay at one hour', () => {
    expect(retryDelay(40, 1000)).toBe(3_600_000);
  });

  it('allows MAX_RETRIES retries of a retryable error, none of a permanent one', () => {
    const retryable = classifyError(coded('ECONNRESET'));
    const permanent = classifyError(coded('EACCES'));
    expect([1, 2, 3, 4].map((n) => shouldRetry(retryable, n, 3))).toEqual([true, true, true, false]);
    expect(shouldRetry(permanent, 1, 3)).toBe(false);
    expect(shouldRetry(retryable, 1, 0)).toBe(false);
  });
});
