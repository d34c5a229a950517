/**
 * The attempt fence: how a write proves that its attempt is still the job's current one. The
 * attempt ledger owns every status change; this leaf module holds the one check every fenced write
 * runs (on every engine and bulk path, on the writer thread too), so the check is written once.
 *
 * Rules (SPEC §8):
 * - An attempt is current while the job's record is `processing` under the attempt's token.
 * - A fenced write reads the record under its lock ({@link fenceQuery}: FOR UPDATE; on SQLite the
 *   IMMEDIATE transaction) inside the transaction that writes, and calls {@link requireCurrentAttempt}.
 * - Rows carry the record's file key and attempt number; a row is live while its record is
 *   processing or completed with that attempt number ({@link ofLiveAttempt}).
 */
import { sql, type RawBuilder } from 'kysely';
import { StaleAttemptError } from './errors.js';
import type { JobStatus } from '../domain/index.js';

/** The result tables. */
export type ResultTable = 'clean_data' | 'error_logs';

/** The record as a fenced write reads it (under its lock). */
export interface AttemptRow {
  status: string;
  attempt_token: string | null;
  file_key: number | string | bigint;
  attempts: number | string | bigint;
}

/** Where the current attempt's rows go: the file's key and the attempt's number. */
export interface AttemptOwner {
  fileKey: number;
  attempt: number;
}

/** Returns the owner when `row` says the attempt is current; throws {@link StaleAttemptError} otherwise. */
export type AttemptCheck = (row: AttemptRow | undefined) => AttemptOwner;

/** The columns of the locked read. */
export const FENCE_COLUMNS = ['status', 'attempt_token', 'file_key', 'attempts'] as const;

/** The locked read of a fenced write, for adapters that write on a raw driver connection. */
export function fenceQuery(placeholder: string, forUpdate: boolean): string {
  return `select ${FENCE_COLUMNS.join(', ')} from file_records where job_id = ${placeholder}${forUpdate ? ' for update' : ''}`;
}

/** The attempt check: the record exists, is processing, and `token` is its current attempt. */
export function requireCurrentAttempt(jobId: string, token: string, row: AttemptRow | undefined): AttemptOwner {
  if (!row || row.status !== 'processing' || row.attempt_token !== token) {
    throw new StaleAttemptError(jobId, token, row?.status as JobStatus | undefined);
  }
  return { fileKey: Number(row.file_key), attempt: Number(row.attempts) };
}

/** True for a result row of its job's live attempt; every other row is stale. */
export function ofLiveAttempt(table: ResultTable): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from file_records owner where owner.file_key = ${sql.ref(`${table}.file_key`)} and owner.status in ('processing', 'completed') and owner.attempts = ${sql.ref(`${table}.attempt`)})`;
}
