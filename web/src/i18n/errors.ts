/** Plain-language sentences for error codes, plus the server's own message when it adds something. */
import type { Translator, Params } from './translate.js';

/** What the UI knows about a failure: a stable code, the server's message, and parameters for client checks. */
export interface ErrorInfo {
  code: string;
  message: string | null;
  /** Set by client-side checks: selects the `.client` sentence with these parameters. */
  params?: Params;
}

/** A task's stored failure (the API's `errorCode` and `errorMessage`); `fallback` stands in for a missing code. */
export function storedError(task: { errorCode: string | null; errorMessage: string | null }, fallback = 'INTERNAL_ERROR'): ErrorInfo {
  return { code: task.errorCode ?? fallback, message: task.errorMessage };
}

interface ErrorText {
  friendly: string;
  /** The server's message, or null when absent or identical to the friendly sentence. */
  server: string | null;
}

export function describeError(error: ErrorInfo, tr: Translator): ErrorText {
  const clientKey = `error.${error.code}.client`;
  const key = `error.${error.code}`;
  let friendly: string;
  if (error.params && tr.has(clientKey)) friendly = tr.t(clientKey, error.params);
  else if (tr.has(key)) friendly = tr.t(key);
  else friendly = tr.t('error.unknown', { code: error.code });
  const server = error.message && error.message !== friendly ? error.message : null;
  return { friendly, server };
}

/** Friendly name of a field error type (INVALID_PHONE…), or the code itself when unknown. */
export function fieldErrorName(errorType: string, tr: Translator): string {
  const key = `fieldError.${errorType}`;
  return tr.has(key) ? tr.t(key) : errorType;
}
