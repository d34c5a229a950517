/**
 * Stable, English error codes shared by every layer. HTTP maps them to status codes; the CLI maps
 * them to exit codes; workers use them to tell permanent from retryable failures.
 */
export type ErrorCode =
  | 'UNSUPPORTED_FILE_TYPE'
  | 'EMPTY_FILE'
  | 'FILE_SIZE_EXCEEDED'
  | 'CORRUPTED_FILE'
  | 'ROW_LIMIT_EXCEEDED'
  | 'COLUMN_LIMIT_EXCEEDED'
  | 'LINE_TOO_LONG'
  | 'ZIP_BOMB_DETECTED'
  | 'INVALID_COLUMN_TYPES'
  | 'INVALID_REQUEST'
  | 'JOB_NOT_FOUND'
  | 'FILE_NOT_FOUND'
  | 'INVALID_TASK_ID'
  | 'INVALID_STATE'
  | 'QUEUE_UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE'
  | 'FILE_STORE_UNAVAILABLE'
  | 'UNAUTHORIZED'
  | 'PROCESSING_TIMEOUT'
  | 'CANCELLED'
  | 'INTERNAL_ERROR'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'SERVER_BUSY'
  | 'INSUFFICIENT_STORAGE';

/** An error the product expects and can explain: a code, a (Chinese) message for users, details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
