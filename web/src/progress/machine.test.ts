import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILE_ID, TASK_ID, completedSnapshot, snapshot, statistics } from '../test-support/fixtures.js';
import type { TaskStatus } from '../types.js';
import { initialUploadState, progressReducer, rejectedState, resumedState, toProgressView, type ProgressEvent, type ProgressState } from './machine.js';

const reduce = (state: ProgressState, ...events: ProgressEvent[]) => events.reduce(progressReducer, state);
const accepted: ProgressEvent = { type: 'uploadAccepted', taskId: TASK_ID, fileId: FILE_ID };

/** A card whose upload was accepted: server state pending, epoch 0. */
function pendingCard(): ProgressState {
  return reduce(initialUploadState(2048), { type: 'uploadStarted', total: 2048 }, accepted);
}

function at(status: TaskStatus, extra: Partial<Parameters<typeof snapshot>[0]> = {}): ProgressState {
  const card = pendingCard();
  if (status === 'pending') return reduce(card, { type: 'snapshot', epoch: 0, snapshot: snapshot({ status: 'pending', currentPhase: 'queued', ...extra }) });
  if (status === 'completed') return reduce(card, { type: 'snapshot', epoch: 0, snapshot: completedSnapshot(extra) });
  return reduce(card, { type: 'snapshot', epoch: 0, snapshot: snapshot({ status, progress: 40, processedRows: 400, ...extra }) });
}

describe('progress machine: upload stage', () => {
  it('waiting → uploading → pending, with transfer progress that never shrinks', () => {
    let state = initialUploadState(1000);
    expect(state.state).toBe('waiting');
    state = progressReducer(state, { type: 'uploadStarted', total: 1000 });
    expect(state.state).toBe('uploading');
    state = progressReducer(state, { type: 'uploadProgress', loaded: 600, total: 1000 });
    expect(toProgressView(state, true).percent).toBe(60);
    const after = progressReducer(state, { type: 'uploadProgress', loaded: 300, total: 1000 });
    expect(after).toBe(state);
    state = progressReducer(state, accepted);
    expect(state).toMatchObject({ state: 'pending', taskId: TASK_ID, fileId: FILE_ID, phase: 'queued' });
    expect(toProgressView(state, true).stage).toBe('process');
  });

  it('an upload can be rejected or aborted, and a rejected upload re-queued when the file is still there', () => {
    const uploading = reduce(initialUploadState(10), { type: 'uploadStarted', total: 10 });
    const rejected = progressReducer(uploading, { type: 'uploadRejected', error: { code: 'QUEUE_UNAVAILABLE', message: '队列不可用' } });
    expect(rejected.state).toBe('rejected');
    expect(rejected.error?.code).toBe('QUEUE_UNAVAILABLE');
    expect(toProgressView(rejected, true).canRetry).toBe(true);
    expect(toProgressView(rejected, false).canRetry).toBe(false);
    const again = progressReducer(rejected, { type: 'reuploadQueued' });
    expect(again).toMatchObject({ state: 'waiting', epoch: 1, error: null, uploadLoaded: 0 });

    const aborted = progressReducer(uploading, { type: 'uploadAborted' });
    expect(aborted.state).toBe('cancelled');
    expect(progressReducer(initialUploadState(10), { type: 'uploadAborted' }).state).toBe('cancelled');
  });

  it('a client-side rejection starts as rejected and can only be removed', () => {
    const state = rejectedState(0, { code: 'EMPTY_FILE', message: null });
    const view = toProgressView(state, false);
    expect(view).toMatchObject({ state: 'rejected', final: true, canRetry: false, canCancel: false, canRemove: true });
  });

  it('ignores upload events outside the upload stage', () => {
    const pending = pendingCard();
    for (const event of [
      { type: 'uploadStarted', total: 5 },
      { type: 'uploadProgress', loaded: 1, total: 5 },
      accepted,
      { type: 'uploadRejected', error: { code: 'X', message: null } },
      { type: 'uploadAborted' },
      { type: 'reuploadQueued' },
    ] as ProgressEvent[]) {
      expect(progressReducer(pending, event)).toBe(pending);
    }
    const waiting = initialUploadState(5);
    expect(progressReducer(waiting, accepted)).toBe(waiting);
    expect(progressReducer(waiting, { type: 'uploadProgress', loaded: 1, total: 5 })).toBe(waiting);
  });
});

describe('progress machine: server states', () => {
  const legal: [TaskStatus, TaskStatus][] = [
    ['pending', 'processing'],
    ['pending', 'completed'],
    ['pending', 'failed'],
    ['pending', 'timeout'],
    ['pending', 'cancelled'],
    ['processing', 'completed'],
    ['processing', 'failed'],
    ['processing', 'timeout'],
    ['processing', 'cancelled'],
  ];

  it.each(legal)('%s → %s is applied', (from, to) => {
    const state = at(from);
    const next = progressReducer(state, {
      type: 'snapshot',
      epoch: 0,
      snapshot:
        to === 'completed'
          ? completedSnapshot()
          : snapshot({ status: to, progress: 50, processedRows: 500, errorCode: to === 'failed' ? 'CORRUPTED_FILE' : null }),
    });
    expect(next.state).toBe(to);
  });

  const finals: TaskStatus[] = ['completed', 'failed', 'timeout', 'cancelled'];
  const all: TaskStatus[] = ['pending', 'processing', ...finals];

  it.each(finals.flatMap((from) => all.map((to) => [from, to] as const)))('final %s ignores a snapshot saying %s in the same attempt', (from, to) => {
    const state = at(from);
    const next = progressReducer(state, { type: 'snapshot', epoch: 0, snapshot: snapshot({ status: to, progress: 99, processedRows: 990 }) });
    expect(next).toBe(state);
  });

  it('processing ignores a stale pending snapshot of the same attempt', () => {
    const state = at('processing');
    expect(progressReducer(state, { type: 'snapshot', epoch: 0, snapshot: snapshot({ status: 'pending', progress: 0 }) })).toBe(state);
  });

  it('ignores snapshots of another task, of an older epoch, or of an older server attempt', () => {
    const state = at('processing', { attempts: 2 });
    expect(progressReducer(state, { type: 'snapshot', epoch: 0, snapshot: snapshot({ taskId: 'other', progress: 90 }) })).toBe(state);
    expect(progressReducer(state, { type: 'snapshot', epoch: 1, snapshot: snapshot({ progress: 90, attempts: 2 }) })).toBe(state);
    expect(progressReducer(state, { type: 'snapshot', epoch: 0, snapshot: snapshot({ progress: 90, attempts: 1 }) })).toBe(state);
  });

  it('a snapshot before the task id is known is ignored', () => {
    const uploading = reduce(initialUploadState(10), { type: 'uploadStarted', total: 10 });
    expect(progressReducer(uploading, { type: 'snapshot', epoch: 0, snapshot: snapshot() })).toBe(uploading);
  });

  it('carries rows, estimate flag, phase, ETA, statistics and errors from the snapshot', () => {
    let state = at('processing', { progress: 42, processedRows: 420_000, totalRows: 1_000_000, totalIsEstimate: true, estimatedTimeRemaining: 6 });
    expect(state).toMatchObject({ percent: 42, processedRows: 420_000, totalRows: 1_000_000, totalIsEstimate: true, phase: 'cleaning', etaSeconds: 6 });
    state = progressReducer(state, { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() });
    expect(state).toMatchObject({ state: 'completed', percent: 100, phase: 'done', etaSeconds: null, totalIsEstimate: false });
    expect(state.statistics).toEqual(statistics());
    expect(toProgressView(state, false).downloadsReady).toBe(true);

    const failed = progressReducer(at('processing'), {
      type: 'snapshot',
      epoch: 0,
      snapshot: snapshot({ status: 'failed', errorCode: 'CORRUPTED_FILE', errorMessage: '文件已损坏' }),
    });
    expect(failed.error).toEqual({ code: 'CORRUPTED_FILE', message: '文件已损坏' });
    const timedOut = progressReducer(at('processing'), { type: 'snapshot', epoch: 0, snapshot: snapshot({ status: 'timeout' }) });
    expect(timedOut.error?.code).toBe('PROCESSING_TIMEOUT');
    // Cancelling is the user's choice, not an error to explain.
    const cancelled = progressReducer(at('processing'), {
      type: 'snapshot',
      epoch: 0,
      snapshot: snapshot({ status: 'cancelled', errorCode: 'CANCELLED', errorMessage: '用户取消' }),
    });
    expect(cancelled).toMatchObject({ state: 'cancelled', error: null });
  });

  it('computes the percentage from rows when the server leaves it out', () => {
    const partial = snapshot({ processedRows: 250, totalRows: 1000 }) as unknown as Record<string, unknown>;
    delete partial.progress;
    const state = progressReducer(pendingCard(), { type: 'snapshot', epoch: 0, snapshot: partial as never });
    expect(state.percent).toBe(25);
  });

  it('never goes backwards within an attempt (percent, rows, phase), whatever order snapshots arrive in', () => {
    const phases = ['queued', 'parsing', 'cleaning', 'saving', 'exporting'] as const;
    const arbitrarySnapshot = fc.record({
      status: fc.constantFrom<'pending' | 'processing'>('pending', 'processing'),
      progress: fc.integer({ min: 0, max: 100 }),
      processedRows: fc.integer({ min: 0, max: 1_000_000 }),
      totalRows: fc.option(fc.integer({ min: 1, max: 2_000_000 }), { nil: null }),
      phase: fc.constantFrom(...phases),
    });
    fc.assert(
      fc.property(fc.array(arbitrarySnapshot, { minLength: 1, maxLength: 40 }), (snapshots) => {
        let state = pendingCard();
        for (const item of snapshots) {
          const next = progressReducer(state, {
            type: 'snapshot',
            epoch: 0,
            snapshot: snapshot({ ...item, currentPhase: item.phase }),
          });
          expect(next.percent).toBeGreaterThanOrEqual(state.percent);
          expect(next.processedRows).toBeGreaterThanOrEqual(state.processedRows);
          expect(phases.indexOf(next.phase as (typeof phases)[number])).toBeGreaterThanOrEqual(phases.indexOf(state.phase as (typeof phases)[number]));
          if (state.state === 'processing') expect(next.state).toBe('processing');
          state = next;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a higher server attempt (automatic retry, crash recovery) starts again from zero', () => {
    const state = at('processing', { progress: 80, processedRows: 800, currentPhase: 'saving' });
    const next = progressReducer(state, {
      type: 'snapshot',
      epoch: 0,
      snapshot: snapshot({ status: 'pending', attempts: 2, progress: 0, processedRows: 0, currentPhase: 'queued' }),
    });
    expect(next).toMatchObject({ state: 'pending', attempts: 2, percent: 0, processedRows: 0, phase: 'queued' });
    expect(toProgressView(next, false).barKey).not.toBe(toProgressView(state, false).barKey);
  });

  it('a watcher failure (task gone) ends the card as lost, without retry', () => {
    const state = at('processing');
    const next = progressReducer(state, { type: 'watchFailed', epoch: 0, error: { code: 'JOB_NOT_FOUND', message: '任务不存在' } });
    expect(next).toMatchObject({ state: 'failed', lost: true });
    expect(toProgressView(next, false).canRetry).toBe(false);
    expect(progressReducer(next, { type: 'retryRequested' })).toBe(next);
    expect(progressReducer(at('completed'), { type: 'watchFailed', epoch: 0, error: { code: 'X', message: null } }).state).toBe('completed');
  });

  it('records the connection mode of the current epoch only, and clears it at a final state', () => {
    let state = at('processing');
    state = progressReducer(state, { type: 'connection', epoch: 0, mode: 'sse' });
    expect(state.connection).toBe('sse');
    expect(progressReducer(state, { type: 'connection', epoch: 3, mode: 'polling' })).toBe(state);
    state = progressReducer(state, { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() });
    expect(state.connection).toBeNull();
    expect(progressReducer(state, { type: 'connection', epoch: 0, mode: 'polling' })).toBe(state);
  });
});

describe('progress machine: user actions', () => {
  it('cancel: requested → succeeded ends as cancelled; only one request at a time', () => {
    const processing = at('processing');
    const requested = progressReducer(processing, { type: 'cancelRequested' });
    expect(requested.pendingAction).toBe('cancel');
    expect(toProgressView(requested, false)).toMatchObject({ canCancel: false, busy: 'cancel' });
    expect(progressReducer(requested, { type: 'cancelRequested' })).toBe(requested);
    expect(progressReducer(requested, { type: 'retryRequested' })).toBe(requested);
    const cancelled = progressReducer(requested, { type: 'cancelSucceeded' });
    expect(cancelled).toMatchObject({ state: 'cancelled', pendingAction: null });
    expect(toProgressView(cancelled, false)).toMatchObject({ final: true, canRetry: true, canRemove: true });
  });

  it('cancel is refused in final states, and a failed request keeps the state with the reason', () => {
    for (const status of ['completed', 'failed', 'timeout', 'cancelled'] as const) {
      const state = at(status);
      expect(progressReducer(state, { type: 'cancelRequested' })).toBe(state);
      expect(progressReducer(state, { type: 'cancelSucceeded' })).toBe(state);
    }
    const requested = progressReducer(at('pending'), { type: 'cancelRequested' });
    const refused = progressReducer(requested, { type: 'actionFailed', error: { code: 'INVALID_STATE', message: '任务已完成' } });
    expect(refused).toMatchObject({ state: 'pending', pendingAction: null, actionError: { code: 'INVALID_STATE' } });
    expect(progressReducer(at('pending'), { type: 'actionFailed', error: { code: 'X', message: null } }).actionError).toBeNull();
  });

  it('a final snapshot that wins the race with a cancel request is kept', () => {
    const requested = progressReducer(at('processing'), { type: 'cancelRequested' });
    const completed = progressReducer(requested, { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() });
    expect(completed).toMatchObject({ state: 'completed', pendingAction: null });
    expect(progressReducer(completed, { type: 'cancelSucceeded' })).toBe(completed);
  });

  it.each(['failed', 'timeout', 'cancelled'] as const)('retry from %s resets progress and starts a new epoch', (status) => {
    const state = at(status, { progress: 70, processedRows: 700, errorCode: 'INTERNAL_ERROR' });
    const requested = progressReducer(state, { type: 'retryRequested' });
    expect(requested.pendingAction).toBe('retry');
    const retried = progressReducer(requested, { type: 'retrySucceeded' });
    expect(retried).toMatchObject({
      state: 'pending',
      epoch: state.epoch + 1,
      taskId: TASK_ID,
      percent: 0,
      processedRows: 0,
      attempts: null,
      error: null,
      statistics: null,
      pendingAction: null,
      phase: 'queued',
    });
    // The old watcher's late snapshot is dropped; the new epoch's snapshots apply, even with a lower attempt count.
    expect(progressReducer(retried, { type: 'snapshot', epoch: state.epoch, snapshot: snapshot({ status: 'failed' }) })).toBe(retried);
    const fresh = progressReducer(retried, { type: 'snapshot', epoch: retried.epoch, snapshot: snapshot({ status: 'processing', progress: 5, attempts: 1 }) });
    expect(fresh).toMatchObject({ state: 'processing', percent: 5 });
  });

  it('retry is refused while running or completed', () => {
    for (const status of ['pending', 'processing', 'completed'] as const) {
      const state = at(status);
      expect(progressReducer(state, { type: 'retryRequested' })).toBe(state);
      expect(progressReducer(state, { type: 'retrySucceeded' })).toBe(state);
    }
  });
});

describe('progress view', () => {
  it('a resumed card waits, indeterminate, for its first snapshot and then shows any state', () => {
    const resumed = resumedState(TASK_ID, FILE_ID, 100);
    expect(toProgressView(resumed, false)).toMatchObject({ resumed: true, indeterminate: true, stage: 'process' });
    const done = progressReducer(resumed, { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() });
    expect(done.state).toBe('completed');
    expect(toProgressView(done, false)).toMatchObject({ resumed: false, percent: 100, indeterminate: false });
  });

  it('queued with 0 % is indeterminate; processing shows the percentage', () => {
    expect(toProgressView(at('pending'), false).indeterminate).toBe(true);
    const view = toProgressView(at('processing', { progress: 37 }), false);
    expect(view).toMatchObject({ indeterminate: false, percent: 37, canCancel: true, canRetry: false, canRemove: false });
  });

  it('a refusal caused by the file offers no re-upload; a passing problem (queue, network) does', () => {
    const uploading = reduce(initialUploadState(10), { type: 'uploadStarted', total: 10 });
    for (const code of ['UNSUPPORTED_FILE_TYPE', 'CORRUPTED_FILE', 'EMPTY_FILE', 'LINE_TOO_LONG', 'INVALID_COLUMN_TYPES']) {
      const refused = progressReducer(uploading, { type: 'uploadRejected', error: { code, message: null } });
      expect(toProgressView(refused, true), code).toMatchObject({ state: 'rejected', canRetry: false, canRemove: true });
    }
    for (const code of ['QUEUE_UNAVAILABLE', 'NETWORK_ERROR', 'INTERNAL_ERROR', 'SOMETHING_NEW']) {
      const refused = progressReducer(uploading, { type: 'uploadRejected', error: { code, message: null } });
      expect(toProgressView(refused, true), code).toMatchObject({ canRetry: true, retrySuggested: true });
    }
  });

  it('a failed task can be retried, but retry is only suggested when the file was not the cause', () => {
    const corrupted = toProgressView(at('failed', { errorCode: 'CORRUPTED_FILE' }), false);
    expect(corrupted).toMatchObject({ canRetry: true, retrySuggested: false });
    const transient = toProgressView(at('failed', { errorCode: 'DATABASE_UNAVAILABLE' }), false);
    expect(transient).toMatchObject({ canRetry: true, retrySuggested: true });
  });

  it('draws no bar for a task that ended unfinished at 0 %, but keeps the point where it stopped', () => {
    expect(toProgressView(at('failed', { progress: 0, processedRows: 0 }), false).showBar).toBe(false);
    expect(toProgressView(at('cancelled', { progress: 0, processedRows: 0 }), false).showBar).toBe(false);
    expect(toProgressView(at('cancelled', { progress: 40 }), false)).toMatchObject({ showBar: true, percent: 40 });
    expect(toProgressView(at('completed'), false)).toMatchObject({ showBar: true, percent: 100 });
    expect(toProgressView(at('pending'), false).showBar).toBe(true);
    expect(toProgressView(rejectedState(5, { code: 'EMPTY_FILE', message: null }), false).showBar).toBe(false);
  });

  it('the bar restarts (new key) between upload and processing', () => {
    const uploading = reduce(initialUploadState(10), { type: 'uploadStarted', total: 10 }, { type: 'uploadProgress', loaded: 10, total: 10 });
    const pending = progressReducer(uploading, accepted);
    expect(toProgressView(uploading, true).percent).toBe(100);
    expect(toProgressView(uploading, true).barKey).not.toBe(toProgressView(pending, true).barKey);
  });
});
