/**
 * What the writer and the cleaning thread say to each other (clean-source.ts, clean-thread.ts):
 * clean events and errors one way, releases of finished batches the other. Everything is plain,
 * cloneable data; an error is rebuilt on arrival (an AppError keeps its code and details).
 */
import { AppError, isAppError, type ErrorCode } from '../errors.js';
import type { CleanTableOptions } from './table-cleaner.js';
import type { CleanEvent } from './types.js';

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  appError: boolean;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (isAppError(err)) return { name: err.name, message: err.message, code: err.code, details: err.details, appError: true, stack: err.stack };
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, code: typeof code === 'string' ? code : undefined, appError: false, stack: e.stack };
}

const BUILT_IN_ERRORS: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError };

export function deserializeError(data: SerializedError): Error {
  if (data.appError) return new AppError(data.code as ErrorCode, data.message, data.details);
  // Built-in error classes are rebuilt as themselves: the retry policy treats them as bugs.
  const Kind = BUILT_IN_ERRORS[data.name] ?? Error;
  const err = Object.assign(new Kind(data.message), data.code ? { code: data.code } : {});
  err.name = data.name;
  if (data.stack) err.stack = data.stack;
  return err;
}

/** Messages from the cleaning thread to the writer. */
export type ThreadMessage = CleanEvent | { kind: 'error'; error: SerializedError };
/** Messages from the writer to the cleaning thread. */
export type WriterMessage = { kind: 'release' };

/** What the thread needs to start: everything of the options that is plain data. */
export interface ThreadStart {
  path: string;
  options: CleanTableOptions;
  maxBatchesInFlight: number;
}
