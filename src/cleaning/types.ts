import type { FieldErrorType } from '../domain/index.js';

/** Result of cleaning one value: the normalized value, or why it could not be normalized. */
export type CleanResult<T = string> = { ok: true; value: T } | { ok: false; errorType: FieldErrorType; message: string };

export interface AddressParts {
  province: string;
  city: string;
  district: string;
  detail: string;
}
