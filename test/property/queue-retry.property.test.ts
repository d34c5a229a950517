/**
 * 属性13 (SPEC R8.2–R8.5): error classification and retry counts.
 * - classifyError over generated errors: driver/system codes from the retryable and permanent
 *   sets, AppErrors, connection-loss messages, wrapped in cause chains of any depth.
 * - A running TaskConsumer (real BullMQ, real SQLite) whose attempts fail with a generated error:
 *   a retryable one is attempted until it succeeds or MAX_RETRIES + 1 attempts were made, each
 *   retry starting no sooner than RETRY_BACKOFF_MS × 2^(n-1) after the failure; a permanent one
 *   fails after exactly one attempt. The failure is injected right after the attempt started (a
 *   Database test double around the real one); a real transient outage is the fault suite's.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../../src/errors.js';
import { classifyError } from '../../src/queue/error-handler.js';
import { codedError, sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';

/** SPEC R8: network, resource and database-availability failures. */
const RETRYABLE_CODES = [
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOMEM',
  'ENOSPC',
  'ECONNREFUSED',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'EMFILE',
  'SQLITE_BUSY',
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  '57P01',
  '08006',
  '53300',
];
/** Permission and missing-file problems. */
const PERMANENT_CODES = ['EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'EROFS'];
/** Format and business errors of the product. */
const PERMANENT_APP_CODES: ErrorCode[] = [
  'UNSUPPORTED_FILE_TYPE',
  'CORRUPTED_FILE',
  'EMPTY_FILE',
  'FILE_SIZE_EXCEEDED',
  'ZIP_BOMB_DETECTED',
  'ROW_LIMIT_EXCEEDED',
  'FILE_NOT_FOUND',
  'PROCESSING_TIMEOUT',
];
const RETRYABLE_APP_CODES: ErrorCode[] = ['QUEUE_UNAVAILABLE', 'DATABASE_UNAVAILABLE'];

/** Messages that mean nothing to the classifier (no connection-loss wording). */
const neutralMessageArb = fc.stringMatching(/^[a-z ]{0,20}$/).filter((m) => !/connection|socket|locked|timeout|terminated|reset/.test(m));

interface Generated {
  error: unknown;
  kind: 'retryable' | 'permanent';
  code: string;
}

const rootArb: fc.Arbitrary<Generated> = fc.oneof(
  fc.tuple(fc.constantFrom(...RETRYABLE_CODES), neutralMessageArb).map(([code, m]) => ({ error: codedError(code, m), kind: 'retryable' as const, code })),
  fc.tuple(fc.constantFrom(...PERMANENT_CODES), neutralMessageArb).map(([code, m]) => ({ error: codedError(code, m), kind: 'permanent' as const, code })),
  fc.tuple(fc.constantFrom(...PERMANENT_APP_CODES), neutralMessageArb).map(([code, m]) => ({ error: new AppError(code, m), kind: 'permanent' as const, code })),
  fc.tuple(fc.constantFrom(...RETRYABLE_APP_CODES), neutralMessageArb).map(([code, m]) => ({ error: new AppError(code, m), kind: 'retryable' as const, code })),
  fc
    .constantFrom('Connection terminated unexpectedly', 'socket hang up', 'database is locked', 'Connection lost: The server closed the connection.')
    .map((m) => ({ error: new Error(m), kind: 'retryable' as const, code: 'CONNECTION_LOST' })),
);

/** The root error wrapped in 0–4 plain Errors (`new Error(msg, { cause })`), as libraries do. */
const wrappedArb = fc.tuple(rootArb, fc.array(neutralMessageArb, { maxLength: 4 })).map(([root, wrappers]) => ({
  ...root,
  error: wrappers.reduce<unknown>((inner, message) => new Error(message, { cause: inner }), root.error),
}));

describe('属性13: error classification', () => {
  it('classifies generated errors by code, AppError code, message and cause chain', () => {
    fc.assert(
      fc.property(wrappedArb, ({ error, kind, code }) => {
        const classified = classifyError(error);
        expect(classified.kind).toBe(kind);
        expect(classified.code).toBe(code);
        expect(typeof classified.message).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('属性13: retry counts and backoff of a running worker', () => {
  let h: Harness;
  let scripted: ScriptedDatabase;
  /** Upload file name → errors to throw on its successive attempts (undefined = let the attempt succeed). */
  const script = new Map<string, (() => unknown)[]>();
  let uploads = 0;

  beforeAll(async () => {
    h = await startHarness({ tag: 'retry', env: { WORKER_CONCURRENCY: '1' } });
    scripted = new ScriptedDatabase(h.db);
    scripted.afterStart = ({ fileName, attempt }) => {
      const fail = script.get(fileName)?.[attempt - 1];
      if (fail) throw fail();
    };
    h.startConsumer({ db: scripted.db });
  });
  afterAll(async () => {
    await h?.close();
  });

  const caseArb = fc.record({
    maxRetries: fc.integer({ min: 0, max: 3 }),
    backoffMs: fc.constantFrom(5, 10, 20),
    failure: rootArb,
    /** How many attempts fail before one would succeed. */
    failingAttempts: fc.integer({ min: 1, max: 5 }),
  });

  it('retries a retryable failure with exponential backoff up to MAX_RETRIES, a permanent one never', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ maxRetries, backoffMs, failure, failingAttempts }) => {
        // Retry settings are hot-reloadable: the running worker must follow them.
        h.env.MAX_RETRIES = String(maxRetries);
        h.env.RETRY_BACKOFF_MS = String(backoffMs);
        h.config.reload();
        expect(h.config.current).toMatchObject({ MAX_RETRIES: maxRetries, RETRY_BACKOFF_MS: backoffMs });

        // Scripted before the upload: the worker may start the task before the answer arrives.
        const fileName = `retry-${++uploads}.csv`;
        script.set(
          fileName,
          Array.from({ length: failingAttempts }, () => () => failure.error),
        );
        const { taskId } = await h.uploadCsv(sampleCsv(2), fileName);

        const succeeds = failure.kind === 'retryable' && failingAttempts <= maxRetries;
        const expectedAttempts = failure.kind === 'permanent' ? 1 : Math.min(failingAttempts + 1, maxRetries + 1);
        const record = await waitFor(async () => {
          const r = await h.db.getFileRecordByJobId(taskId);
          return r && (r.status === 'completed' || r.status === 'failed') ? r : undefined;
        }, `task ${taskId} to end`);
        // Let BullMQ finish its bookkeeping, then make sure no further attempt comes.
        await waitFor(async () => (await (await h.queue.getJob(taskId))?.getState()) !== 'active', 'the job to leave active');

        const attempts = scripted.attemptsOf(taskId);
        expect(attempts).toHaveLength(expectedAttempts);
        expect(record.attempts).toBe(expectedAttempts);
        if (succeeds) {
          expect(record.status).toBe('completed');
          expect(await h.queue.getJob(taskId).then((j) => j?.getState())).toBe('completed');
        } else {
          expect(record.status).toBe('failed');
          expect(record.errorCode).toBe(failure.code);
          expect(record.errorMessage).toBe((failure.error as Error).message);
          expect(await h.queue.getJob(taskId).then((j) => j?.getState())).toBe('failed');
        }
        // Each retry starts at least base × 2^(n-1) after the failure it follows.
        for (let n = 1; n < attempts.length; n++) {
          const waited = attempts[n].startedAt - attempts[n - 1].failedAt!;
          expect(waited).toBeGreaterThanOrEqual(backoffMs * 2 ** (n - 1));
        }
      }),
      { numRuns: 100 },
    );
  });
});
