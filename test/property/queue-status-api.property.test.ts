/**
 * 属性11 (SPEC R5, R10.4): for a task in any state — pending, processing (with or without live
 * progress from the worker), completed, failed, timeout, cancelled — `check-status` returns every
 * R5 field with the right type and values consistent with that state, and the original
 * `status/:jobId` keeps its shape; an unknown id answers 404 and a malformed one 400, both in the
 * common error format. States are reached through the same storage and queue calls the worker
 * and the API use (no worker runs, so nothing moves on by itself).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runJob } from '../../src/pipeline/run-job.js';
import type { TaskProgress } from '../../src/queue/types.js';
import { sampleCsv, startHarness, type Harness } from '../support/queue-harness.js';
import { getJson } from '../support/stack.js';
import type { JobStatus } from '../../src/domain/index.js';

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s, 'an ISO-8601 timestamp');
const nonNegativeInt = z.number().int().min(0);

/** The R5 fields and their types (extra fields are allowed). */
const statusSchema = z.object({
  taskId: z.string(),
  status: z.enum(['pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled']),
  progress: z.number().int().min(0).max(100),
  processedRows: nonNegativeInt,
  totalRows: nonNegativeInt,
  currentPhase: z.enum(['queued', 'parsing', 'cleaning', 'saving', 'exporting', 'done']),
  estimatedTimeRemaining: nonNegativeInt.nullable(),
  statistics: z.object({ totalRows: nonNegativeInt, cleanedRows: nonNegativeInt, exceptionRows: nonNegativeInt }).passthrough().nullable(),
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  completedAt: isoDate.nullable(),
  errorMessage: z.string().nullable(),
});

const errorSchema = z.object({ statusCode: z.number().int(), errorCode: z.string().min(1), message: z.string().min(1), timestamp: isoDate }).passthrough();

/** Progress a worker could have published (consistent numbers, as ProgressTracker makes them). */
const liveProgressArb: fc.Arbitrary<TaskProgress> = fc
  .record({
    phase: fc.constantFrom<TaskProgress['phase']>('parsing', 'cleaning', 'saving', 'exporting'),
    processedRows: fc.integer({ min: 0, max: 1_000_000 }),
    extra: fc.integer({ min: 0, max: 1_000_000 }),
    eta: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
  })
  .map(({ phase, processedRows, extra, eta }) => {
    const totalRows = processedRows + extra;
    return {
      phase,
      processedRows,
      totalRows,
      totalIsEstimate: phase === 'parsing' || phase === 'cleaning',
      progress: totalRows > 0 ? Math.round((100 * processedRows) / totalRows) : 0,
      estimatedTimeRemaining: eta,
      updatedAt: Date.now(),
    };
  });

const stateArb = fc.oneof(
  fc.constant({ status: 'pending' as JobStatus }),
  fc.record({ status: fc.constant('processing' as JobStatus), live: fc.option(liveProgressArb, { nil: undefined }) }),
  fc.record({ status: fc.constant('completed' as JobStatus), rows: fc.integer({ min: 1, max: 30 }) }),
  fc.record({
    status: fc.constantFrom<JobStatus>('failed', 'timeout'),
    code: fc.constantFrom('CORRUPTED_FILE', 'ECONNRESET', 'PROCESSING_TIMEOUT'),
    message: fc.string({ minLength: 1, maxLength: 40 }),
  }),
  fc.constant({ status: 'cancelled' as JobStatus }),
);

describe('属性11: check-status is complete and well-formed in every state', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ tag: 'status' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('returns all R5 fields, consistent with the state', async () => {
    await fc.assert(
      fc.asyncProperty(stateArb, async (state) => {
        const rows = 'rows' in state ? state.rows : 3;
        const { taskId } = await h.uploadCsv(sampleCsv(rows));
        const token = `test:${randomUUID()}`;
        let live: TaskProgress | undefined;
        switch (state.status) {
          case 'processing':
            await h.db.startAttempt(taskId, token);
            if ('live' in state && state.live) {
              live = state.live;
              await (await h.queue.getJob(taskId))!.updateProgress({ ...live });
            }
            break;
          case 'completed':
            await runJob({ db: h.db, fileStore: h.fileStore, jobId: taskId, token });
            break;
          case 'failed':
          case 'timeout':
            await h.db.startAttempt(taskId, token);
            await h.db.endAttempt(taskId, token, state.status, 'code' in state ? state.code : null, 'message' in state ? state.message : null);
            break;
          case 'cancelled':
            expect((await getJson(`${h.baseUrl}/api/data-cleaning/tasks/${taskId}/cancel`, { method: 'POST' })).status).toBe(200);
            break;
        }

        const { status, body } = await getJson<Record<string, unknown>>(`${h.baseUrl}/api/data-cleaning/check-status/${taskId}`);
        expect(status).toBe(200);
        const view = statusSchema.parse(body);
        expect(view.taskId).toBe(taskId);
        expect(view.status).toBe(state.status);
        expect(view.progress).toBe(view.totalRows > 0 ? Math.round((100 * view.processedRows) / view.totalRows) : 0);
        expect(view.processedRows).toBeLessThanOrEqual(Math.max(view.totalRows, 0));

        const created = Date.parse(view.createdAt);
        if (view.startedAt) expect(Date.parse(view.startedAt)).toBeGreaterThanOrEqual(created);
        if (view.completedAt) expect(Date.parse(view.completedAt)).toBeGreaterThanOrEqual(view.startedAt ? Date.parse(view.startedAt) : created);

        switch (state.status) {
          case 'pending':
            expect(view).toMatchObject({
              progress: 0,
              currentPhase: 'queued',
              estimatedTimeRemaining: null,
              statistics: null,
              startedAt: null,
              completedAt: null,
              errorMessage: null,
            });
            break;
          case 'processing':
            expect(view.startedAt).not.toBeNull();
            expect(view.completedAt).toBeNull();
            expect(view.statistics).toBeNull();
            if (live) {
              expect(view).toMatchObject({
                progress: live.progress,
                processedRows: live.processedRows,
                totalRows: live.totalRows,
                currentPhase: live.phase,
                estimatedTimeRemaining: live.estimatedTimeRemaining,
              });
            } else {
              expect(view).toMatchObject({ progress: 0, processedRows: 0 });
            }
            break;
          case 'completed': {
            const stats = view.statistics!;
            expect(stats.totalRows).toBe(rows);
            expect(stats.cleanedRows + stats.exceptionRows).toBe(rows);
            expect(view).toMatchObject({
              progress: 100,
              processedRows: rows,
              totalRows: rows,
              currentPhase: 'done',
              estimatedTimeRemaining: 0,
              errorMessage: null,
            });
            expect(view.startedAt).not.toBeNull();
            expect(view.completedAt).not.toBeNull();
            break;
          }
          case 'failed':
          case 'timeout':
            expect(view.errorMessage).toBe('message' in state ? state.message : undefined);
            expect(body.errorCode).toBe('code' in state ? state.code : undefined);
            expect(view.completedAt).not.toBeNull();
            expect(view.statistics).toBeNull();
            expect(view.estimatedTimeRemaining).toBeNull();
            break;
          case 'cancelled':
            expect(view.errorMessage).toBeTruthy();
            expect(view.completedAt).not.toBeNull();
            break;
        }

        // The original endpoint keeps its shape: {jobId, status, progress, statistics?}.
        const original = await getJson<Record<string, unknown>>(`${h.baseUrl}/api/data-cleaning/status/${taskId}`);
        expect(original.status).toBe(200);
        expect(Object.keys(original.body).sort()).toEqual(
          state.status === 'completed' ? ['jobId', 'progress', 'statistics', 'status'] : ['jobId', 'progress', 'status'],
        );
        expect(original.body).toMatchObject({ jobId: taskId, status: state.status, progress: view.progress });
      }),
      { numRuns: 100 },
    );
  });

  it('answers 404 for an unknown task id and 400 for a malformed one, in the common error format', async () => {
    const uuidArb = fc.uuid().map((u) => u.toLowerCase());
    const malformedArb = fc
      .oneof(
        fc.string({ minLength: 1, maxLength: 120 }),
        fc.uuid().map((u) => `${u}x`),
        fc.uuid().map((u) => u.replace(/-/g, '')),
        fc.stringMatching(/^[0-9a-z-]{1,40}$/),
      )
      .filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) && s.trim() !== '' && s !== '.' && s !== '..');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          uuidArb.map((id) => ({ id, malformed: false })),
          malformedArb.map((id) => ({ id, malformed: true })),
        ),
        async ({ id, malformed }) => {
          for (const path of ['check-status', 'status']) {
            const { status, body } = await getJson(`${h.baseUrl}/api/data-cleaning/${path}/${encodeURIComponent(id)}`);
            const error = errorSchema.parse(body);
            expect(error.statusCode).toBe(status);
            if (malformed) {
              expect(status).toBe(400);
              expect(['INVALID_TASK_ID', 'INVALID_REQUEST']).toContain(error.errorCode);
            } else {
              expect(status).toBe(404);
              expect(error.errorCode).toBe('JOB_NOT_FOUND');
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
