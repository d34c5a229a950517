import { isAppError, type ErrorCode } from '../errors.js';

type ErrorKind = 'retryable' | 'permanent';

export interface ClassifiedError {
  kind: ErrorKind;
  /** Stable code stored with the task (an ErrorCode, or the system/driver code). */
  code: string;
  message: string;
}

/** Network, resource and database-availability failures: worth another attempt. */
const RETRYABLE_CODES = new Set([
  // network
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTCONN',
  'ESOCKETTIMEDOUT',
  // resources
  'ENOMEM',
  'ENOSPC',
  'EMFILE',
  'ENFILE',
  'EBUSY',
  'EAGAIN',
  // SQLite
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  // MySQL / MariaDB
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  // PostgreSQL SQLSTATEs: connection exceptions, serialization failure, deadlock, shutdown, too many connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '40001',
  '40P01',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // product codes for unavailable dependencies
  'QUEUE_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
]);

/** Problems with the input or the request itself: another attempt would fail the same way. */
const PERMANENT_APP_CODES = new Set<ErrorCode>([
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
  'UNAUTHORIZED',
  'PROCESSING_TIMEOUT',
  'CANCELLED',
]);

const PERMANENT_SYSTEM_CODES = new Set(['EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'ENOTDIR', 'EROFS']);

const RETRYABLE_MESSAGE =
  /connection (is )?(closed|terminated|lost|refused|reset)|socket hang up|server closed the connection|database is locked|timeout exceeded when trying to connect|read ECONNRESET|Connection terminated unexpectedly/i;

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  if (typeof code === 'number') return String(code);
  return undefined;
}

/** Cause chains are followed this deep (they can be cyclic). */
const MAX_CAUSE_DEPTH = 8;

/** The classification an error's own attributes or its causes give, or undefined when unknown. */
function classifyKnown(err: unknown, depth: number): ClassifiedError | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (isAppError(err)) {
    return { kind: PERMANENT_APP_CODES.has(err.code) ? 'permanent' : 'retryable', code: err.code, message };
  }
  // AggregateError (e.g. a connect() to several addresses) — classify by its parts.
  if (err instanceof AggregateError && err.errors.length > 0) {
    const parts = err.errors.map(classifyError);
    const retryable = parts.find((p) => p.kind === 'retryable');
    return retryable ?? parts[0];
  }
  const code = errorCode(err);
  if (code && RETRYABLE_CODES.has(code)) return { kind: 'retryable', code, message };
  if (code && PERMANENT_SYSTEM_CODES.has(code)) return { kind: 'permanent', code, message };
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_IOERR')) return { kind: 'retryable', code, message };
  if (RETRYABLE_MESSAGE.test(message)) return { kind: 'retryable', code: code ?? 'CONNECTION_LOST', message };
  // A wrapper without a known code of its own (`new Error('…', { cause })`): the cause decides,
  // whichever way — a wrapped EACCES is as permanent as a bare one.
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause !== undefined && cause !== null && depth < MAX_CAUSE_DEPTH) {
    const inner = classifyKnown(cause, depth + 1);
    if (inner) return inner;
  }
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError || err instanceof ReferenceError) {
    return { kind: 'permanent', code: code ?? 'INTERNAL_ERROR', message };
  }
  return undefined;
}

/**
 * Classifies an error (SPEC R8): retryable network/resource/database-availability errors versus
 * permanent format, business and permission errors. An error's own AppError code or driver code
 * decides first, then its cause chain. Unknown errors are retried (a bounded number of times)
 * unless they are programming errors, which would fail the same way again.
 */
export function classifyError(err: unknown): ClassifiedError {
  const known = classifyKnown(err, 0);
  if (known) return known;
  return { kind: 'retryable', code: errorCode(err) ?? 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) };
}

/** Exponential backoff: base, 2·base, 4·base … for attempt 1, 2, 3 … (capped at one hour). */
export function retryDelay(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

/** Whether a failed attempt number `attemptsMade` (1-based) may be followed by another. */
export function shouldRetry(classified: ClassifiedError, attemptsMade: number, maxRetries: number): boolean {
  return classified.kind === 'retryable' && attemptsMade <= maxRetries;
}
