/**
 * SPEC R2.4: over random sequences of events — an attempt that succeeds, fails permanently, fails
 * with a retryable error, times out; a cancel (queued, at the start of an attempt, or while it
 * processes); a manual retry — the statuses the database actually goes through (logged by an
 * SQLite trigger on file_records) follow only
 *   pending → processing → completed | failed | timeout,  retry → pending,  cancel → cancelled,
 * and after every event the status is the one a simple model of the life cycle predicts.
 *
 * Attempts are scripted with a Database test double around the real one: each attempt waits at
 * its start until the test decides its outcome. A retryable failure is an ECONNRESET right after
 * the attempt started (the commit happened, its acknowledgement was lost), so the record really
 * is `processing` when it goes back to `pending` for the automatic retry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { codedError, sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';
import { getJson } from '../support/stack.js';
import type { JobStatus } from '../../src/domain/index.js';

const MAX_RETRIES = 2;
// Attempts wait at their start while the test acts (an HTTP call or two); the limit leaves room for that.
const JOB_TIMEOUT_MS = 500;

type Event = 'ok' | 'retryable' | 'permanent' | 'timeout' | 'cancelWhileProcessing' | 'cancel' | 'retry';
const EVENTS: Event[] = ['ok', 'retryable', 'permanent', 'timeout', 'cancelWhileProcessing', 'cancel', 'retry'];
/** Events that are the outcome of the attempt waiting at its start (only while pending). */
const ATTEMPT_EVENTS = new Set<Event>(['ok', 'retryable', 'permanent', 'timeout', 'cancelWhileProcessing']);

/** SPEC R2.4 (with the automatic and manual retry back to pending, and cancel). */
const LEGAL = new Set([
  'null→pending',
  'pending→processing',
  'processing→completed',
  'processing→failed',
  'processing→timeout',
  'processing→pending',
  'processing→cancelled',
  'pending→cancelled',
  'failed→pending',
  'timeout→pending',
  'cancelled→pending',
]);

type Decision =
  { kind: 'ok' | 'retryable' | 'timeout' } | { kind: 'permanent'; error: unknown } | { kind: 'holdAfterStart'; reached: () => void; release: Promise<void> };

interface Arrival {
  jobId: string;
  decide: (d: Decision) => void;
}

const permanentErrorArb = fc.constantFrom<() => unknown>(
  () => new AppError('CORRUPTED_FILE', '文件已损坏'),
  () => codedError('EACCES', 'permission denied'),
  () => new AppError('UNSUPPORTED_FILE_TYPE', '不支持的文件类型'),
);

describe('SPEC R2.4: only legal status transitions', () => {
  let h: Harness;
  const arrivals: Arrival[] = [];
  const decisions = new Map<string, Decision>();
  const finished: { jobId: string; outcome: string }[] = [];

  beforeAll(async () => {
    h = await startHarness({
      tag: 'trans',
      env: { MAX_RETRIES: String(MAX_RETRIES), RETRY_BACKOFF_MS: '5', WORKER_CONCURRENCY: '1' },
      configOverrides: { JOB_TIMEOUT_MS },
    });
    const scripted = new ScriptedDatabase(h.db);
    scripted.beforeStart = async ({ jobId, token }) => {
      const decision = await new Promise<Decision>((decide) => arrivals.push({ jobId, decide }));
      decisions.set(token, decision);
    };
    scripted.afterStart = async ({ token }) => {
      const decision = decisions.get(token);
      if (decision?.kind === 'retryable') throw codedError('ECONNRESET', 'read ECONNRESET (injected)');
      if (decision?.kind === 'permanent') throw decision.error;
      if (decision?.kind === 'timeout') await sleep(JOB_TIMEOUT_MS + 100);
      if (decision?.kind === 'holdAfterStart') {
        decision.reached();
        await decision.release;
      }
    };
    h.startConsumer({ db: scripted.db, events: { onFinished: (jobId, outcome) => finished.push({ jobId, outcome }) } });
  });
  afterAll(async () => {
    for (const arrival of arrivals.splice(0)) arrival.decide({ kind: 'ok' }); // after a failure: let the worker stop
    await h?.close();
  });

  const status = async (jobId: string) => (await h.db.getFileRecordByJobId(jobId))!.status;
  const post = (jobId: string, action: 'cancel' | 'retry') =>
    getJson<{ status?: string; errorCode?: string }>(`${h.baseUrl}/api/data-cleaning/tasks/${jobId}/${action}`, { method: 'POST' });
  const nextArrival = (jobId: string) =>
    waitFor(() => {
      const i = arrivals.findIndex((a) => a.jobId === jobId);
      return i >= 0 ? arrivals.splice(i, 1)[0] : undefined;
    }, `an attempt of ${jobId} to start`);
  /**
   * Waits until the attempt has ended; for a final outcome also until BullMQ no longer holds the
   * job as active (a manual retry is refused while it does). After an automatic retry the next
   * attempt's arrival is the synchronization point instead.
   */
  const settle = async (jobId: string, finishedBefore: number, final: boolean) => {
    await waitFor(() => finished.slice(finishedBefore).some((f) => f.jobId === jobId), `the attempt of ${jobId} to end`);
    if (final) await waitFor(async () => (await (await h.queue.getJob(jobId))?.getState()) !== 'active', `${jobId} to leave the active state`);
  };

  it('observed statuses follow the life cycle for any sequence of events', async () => {
    const runArb = fc.record({
      events: fc.array(fc.constantFrom(...EVENTS), { minLength: 1, maxLength: 5 }),
      permanentError: permanentErrorArb,
    });

    await fc.assert(
      fc.asyncProperty(runArb, async ({ events, permanentError }) => {
        const { taskId } = await h.uploadCsv(sampleCsv(3));
        let expected: JobStatus = 'pending';
        let retriesUsed = 0;
        // Invariant between events: while the task is pending, an attempt waits at its start.
        let held: Arrival | undefined = await nextArrival(taskId);

        for (const event of events) {
          if (expected === 'pending' && ATTEMPT_EVENTS.has(event)) {
            const arrival = held!;
            held = undefined;
            const before = finished.length;
            if (event === 'cancelWhileProcessing') {
              let reached!: () => void;
              let release!: () => void;
              const atProcessing = new Promise<void>((r) => (reached = r));
              arrival.decide({ kind: 'holdAfterStart', reached, release: new Promise<void>((r) => (release = r)) });
              await atProcessing;
              expect(await status(taskId)).toBe('processing');
              const res = await post(taskId, 'cancel');
              expect(res.status).toBe(200);
              release();
              expected = 'cancelled';
            } else if (event === 'permanent') {
              arrival.decide({ kind: 'permanent', error: permanentError() });
              expected = 'failed';
            } else if (event === 'retryable') {
              arrival.decide({ kind: 'retryable' });
              expected = retriesUsed < MAX_RETRIES ? 'pending' : 'failed';
              retriesUsed++;
            } else {
              arrival.decide({ kind: event as 'ok' | 'timeout' });
              expected = event === 'ok' ? 'completed' : 'timeout';
            }
            await settle(taskId, before, expected !== 'pending');
            if (expected === 'pending') held = await nextArrival(taskId); // the automatic retry
          } else if (event === 'retry') {
            const res = await post(taskId, 'retry');
            if (expected === 'failed' || expected === 'timeout' || expected === 'cancelled') {
              expect(res.status).toBe(200);
              expected = 'pending';
              retriesUsed = 0;
              held = await nextArrival(taskId);
            } else {
              expect(res.status).toBe(409);
              expect(res.body.errorCode).toBe('INVALID_STATE');
            }
          } else if (event === 'cancel') {
            // While pending, an attempt waits at its start (the worker took the job, the record is
            // still pending): cancelled there; in a final state cancel is refused.
            const res = await post(taskId, 'cancel');
            if (expected === 'pending') {
              expect(res.status).toBe(200);
              const arrival = held!;
              held = undefined;
              const before = finished.length;
              arrival.decide({ kind: 'ok' });
              await settle(taskId, before, true);
              expected = 'cancelled';
            } else {
              expect(res.status).toBe(409);
              expect(res.body.errorCode).toBe('INVALID_STATE');
            }
          }
          // Attempt events on a task in a final state: no attempt can come, nothing changes.
          expect(await status(taskId)).toBe(expected);
        }

        // Leave nothing running: a task still pending is let through to completion.
        if (expected === 'pending') {
          const arrival = held!;
          const before = finished.length;
          arrival.decide({ kind: 'ok' });
          await settle(taskId, before, true);
          expected = 'completed';
          expect(await status(taskId)).toBe('completed');
        }
        expect(arrivals.filter((a) => a.jobId === taskId)).toEqual([]);

        const log = h.statusLog(taskId);
        for (const change of log) expect(LEGAL, `${change.from}→${change.to}`).toContain(`${change.from}→${change.to}`);
        expect(log.at(-1)?.to).toBe(expected);
        // A failed, timed-out or cancelled task keeps no partial rows.
        if (expected !== 'completed') expect(await h.db.countResults(taskId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
      }),
      { numRuns: 100 },
    );
  });
});
