/**
 * The progress state machine of one upload card, framework-free.
 *
 * Inputs: upload transfer events, server snapshots (SSE or polling — same shape), watcher
 * failures and the user's cancel/retry. Output: the next state; an event that is not legal in the
 * current state returns the *same object*, so callers can skip re-rendering.
 *
 * Rules:
 * - Local states: waiting → uploading → pending (accepted) | rejected; waiting/uploading → cancelled.
 * - Server states move forward only: pending → processing → completed | failed | timeout | cancelled
 *   (pending may jump straight to a final state: a fast task can finish between two polls).
 * - Within one attempt, progress %, processed rows and phase never go backwards; stale or
 *   out-of-order snapshots are ignored. A snapshot with a higher server `attempts` (an automatic
 *   retry or crash recovery) starts a new attempt and may begin again from zero.
 * - A user retry bumps `epoch`: events tagged with an older epoch (a watcher that was still
 *   running) are dropped.
 * - Final states accept nothing but retry (and a snapshot proving a newer server attempt).
 */
import { storedError, type ErrorInfo } from '../i18n/errors.js';
import { PHASES, isFinalStatus, type Phase, type Statistics, type StatusSnapshot, type TaskStatus } from '../types.js';

export type CardState = 'waiting' | 'uploading' | 'rejected' | TaskStatus;
type ConnectionMode = 'sse' | 'polling';

export interface ProgressState {
  state: CardState;
  /** Bumped on each user retry; watcher events carry the epoch they were started for. */
  epoch: number;
  taskId: string | null;
  fileId: string | null;
  uploadLoaded: number;
  uploadTotal: number;
  /** Server `attempts` of the attempt being shown; null until the first snapshot of this epoch. */
  attempts: number | null;
  percent: number;
  processedRows: number;
  totalRows: number | null;
  totalIsEstimate: boolean;
  phase: Phase | null;
  etaSeconds: number | null;
  statistics: Statistics | null;
  error: ErrorInfo | null;
  /** The task cannot be retried: the server no longer knows it. */
  lost: boolean;
  /** A cancel/retry request is in flight (its button is disabled). */
  pendingAction: 'cancel' | 'retry' | null;
  actionError: ErrorInfo | null;
  connection: ConnectionMode | null;
  /** Restored from storage; no snapshot received yet. */
  resumed: boolean;
}

export type ProgressEvent =
  | { type: 'uploadStarted'; total: number }
  | { type: 'uploadProgress'; loaded: number; total: number }
  | { type: 'uploadAccepted'; taskId: string; fileId: string | null }
  | { type: 'uploadRejected'; error: ErrorInfo }
  | { type: 'uploadAborted' }
  /** A rejected or locally cancelled upload is queued again (the File is still in memory). */
  | { type: 'reuploadQueued' }
  | { type: 'snapshot'; epoch: number; snapshot: StatusSnapshot }
  | { type: 'connection'; epoch: number; mode: ConnectionMode | null }
  /** The watcher gave up for good (e.g. 404: the task is gone). */
  | { type: 'watchFailed'; epoch: number; error: ErrorInfo }
  | { type: 'cancelRequested' }
  | { type: 'cancelSucceeded' }
  | { type: 'retryRequested' }
  | { type: 'retrySucceeded' }
  | { type: 'actionFailed'; error: ErrorInfo };

const EMPTY_PROGRESS = {
  uploadLoaded: 0,
  attempts: null,
  percent: 0,
  processedRows: 0,
  totalRows: null,
  totalIsEstimate: false,
  phase: null,
  etaSeconds: null,
  statistics: null,
  error: null,
  lost: false,
  pendingAction: null,
  actionError: null,
  connection: null,
  resumed: false,
} as const satisfies Partial<ProgressState>;

/** A card for a file about to be uploaded. */
export function initialUploadState(fileSize: number): ProgressState {
  return { ...EMPTY_PROGRESS, state: 'waiting', epoch: 0, taskId: null, fileId: null, uploadTotal: fileSize };
}

/** A card restored from the list of recent task ids: its real state arrives with the first snapshot. */
export function resumedState(taskId: string, fileId: string | null, fileSize: number): ProgressState {
  return { ...EMPTY_PROGRESS, state: 'pending', epoch: 0, taskId, fileId, uploadTotal: fileSize, uploadLoaded: fileSize, resumed: true };
}

/** A card for a file refused before upload (client-side checks). */
export function rejectedState(fileSize: number, error: ErrorInfo): ProgressState {
  return { ...initialUploadState(fileSize), state: 'rejected', error };
}

function isFinalState(state: CardState): boolean {
  return state === 'rejected' || isFinalStatus(state);
}

/** Order of states for "never go backwards": local < pending < processing < final. */
function stateRank(state: CardState): number {
  switch (state) {
    case 'waiting':
    case 'uploading':
      return 0;
    case 'pending':
      return 1;
    case 'processing':
      return 2;
    default:
      return 3;
  }
}

function phaseRank(phase: Phase | null): number {
  return phase === null ? -1 : PHASES.indexOf(phase);
}

function clampPercent(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(100, Math.max(0, Math.round(value)));
}

/** Percentage the server reports, or computed from rows when the field is missing (R4.1). */
function snapshotPercent(snapshot: StatusSnapshot): number {
  if (snapshot.status === 'completed') return 100;
  if (typeof snapshot.progress === 'number') return clampPercent(snapshot.progress);
  if (snapshot.totalRows) return clampPercent((100 * snapshot.processedRows) / snapshot.totalRows);
  return 0;
}

function snapshotError(snapshot: StatusSnapshot): ErrorInfo | null {
  // A cancellation is the user's own choice, not a failure to explain.
  if (snapshot.status !== 'failed' && snapshot.status !== 'timeout') return null;
  return storedError(snapshot, snapshot.status === 'timeout' ? 'PROCESSING_TIMEOUT' : undefined);
}

function applySnapshot(current: ProgressState, snapshot: StatusSnapshot): ProgressState {
  if (!current.taskId || snapshot.taskId !== current.taskId) return current;
  const attempts = typeof snapshot.attempts === 'number' ? snapshot.attempts : (current.attempts ?? 0);
  const newAttempt = current.attempts !== null && attempts > current.attempts;
  if (!newAttempt) {
    if (current.attempts !== null && attempts < current.attempts) return current;
    if (isFinalState(current.state)) return current;
    if (stateRank(snapshot.status) < stateRank(current.state)) return current;
  }
  // Fields that must not regress within an attempt start from the current values; a new attempt starts from zero.
  const base = newAttempt ? { percent: 0, processedRows: 0, phase: null } : current;
  const processedRows = Math.max(base.processedRows, Number.isFinite(snapshot.processedRows) ? snapshot.processedRows : 0);
  const percent = Math.max(base.percent, snapshotPercent(snapshot));
  const incomingPhase = snapshot.status === 'completed' ? 'done' : snapshot.currentPhase;
  const phase = phaseRank(incomingPhase) >= phaseRank(base.phase) ? incomingPhase : base.phase;
  const next: ProgressState = {
    ...current,
    state: snapshot.status,
    attempts,
    fileId: snapshot.fileId ?? current.fileId,
    percent,
    processedRows,
    totalRows: snapshot.totalRows ?? current.totalRows,
    totalIsEstimate: Boolean(snapshot.totalIsEstimate) && snapshot.status !== 'completed',
    phase,
    etaSeconds: isFinalStatus(snapshot.status) ? null : normalizeEta(snapshot.estimatedTimeRemaining),
    statistics: snapshot.statistics ?? (snapshot.status === 'completed' ? current.statistics : null),
    error: snapshotError(snapshot),
    resumed: false,
  };
  if (isFinalStatus(snapshot.status)) {
    next.pendingAction = null;
    next.connection = null;
  }
  return next;
}

function normalizeEta(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

export function progressReducer(current: ProgressState, event: ProgressEvent): ProgressState {
  switch (event.type) {
    case 'uploadStarted':
      if (current.state !== 'waiting') return current;
      return { ...current, state: 'uploading', uploadLoaded: 0, uploadTotal: event.total };
    case 'uploadProgress': {
      if (current.state !== 'uploading') return current;
      const loaded = Math.max(current.uploadLoaded, Math.min(event.loaded, event.total));
      if (loaded === current.uploadLoaded && event.total === current.uploadTotal) return current;
      return { ...current, uploadLoaded: loaded, uploadTotal: event.total };
    }
    case 'uploadAccepted':
      if (current.state !== 'uploading') return current;
      return {
        ...current,
        state: 'pending',
        taskId: event.taskId,
        fileId: event.fileId,
        uploadLoaded: current.uploadTotal,
        phase: 'queued',
        pendingAction: null,
      };
    case 'uploadRejected':
      if (current.state !== 'uploading' && current.state !== 'waiting') return current;
      return { ...current, state: 'rejected', error: event.error, pendingAction: null };
    case 'uploadAborted':
      if (current.state !== 'uploading' && current.state !== 'waiting') return current;
      return { ...current, state: 'cancelled', error: null, pendingAction: null };
    case 'reuploadQueued':
      if (current.taskId !== null || (current.state !== 'rejected' && current.state !== 'cancelled')) return current;
      return { ...initialUploadState(current.uploadTotal), epoch: current.epoch + 1 };
    case 'snapshot':
      if (event.epoch !== current.epoch) return current;
      return applySnapshot(current, event.snapshot);
    case 'connection':
      if (event.epoch !== current.epoch || current.connection === event.mode) return current;
      if (event.mode !== null && isFinalState(current.state)) return current;
      return { ...current, connection: event.mode };
    case 'watchFailed':
      if (event.epoch !== current.epoch || isFinalState(current.state) || current.taskId === null) return current;
      return { ...current, state: 'failed', error: event.error, lost: true, etaSeconds: null, connection: null, pendingAction: null };
    case 'cancelRequested':
      if (current.pendingAction !== null || stateRank(current.state) > 2) return current;
      return { ...current, pendingAction: 'cancel', actionError: null };
    case 'cancelSucceeded':
      if (current.pendingAction !== 'cancel') return current;
      // A final snapshot may have won the race with the cancel request: keep what it said.
      if (isFinalState(current.state)) return { ...current, pendingAction: null };
      return { ...current, state: 'cancelled', error: null, etaSeconds: null, pendingAction: null, connection: null };
    case 'retryRequested':
      if (current.pendingAction !== null || current.taskId === null || current.lost) return current;
      if (current.state !== 'failed' && current.state !== 'timeout' && current.state !== 'cancelled') return current;
      return { ...current, pendingAction: 'retry', actionError: null };
    case 'retrySucceeded':
      if (current.pendingAction !== 'retry') return current;
      return {
        ...current,
        ...EMPTY_PROGRESS,
        uploadLoaded: current.uploadTotal,
        state: 'pending',
        phase: 'queued',
        epoch: current.epoch + 1,
      };
    case 'actionFailed':
      if (current.pendingAction === null) return current;
      return { ...current, pendingAction: null, actionError: event.error };
    default:
      return current;
  }
}

/**
 * Errors caused by the file itself (or the user's column types): sending the same file again gives
 * the same answer, so a refused upload with one of these offers no retry, and a failed task's retry
 * is not the suggested action.
 */
const FILE_CONTENT_ERRORS: ReadonlySet<string> = new Set([
  'UNSUPPORTED_FILE_TYPE',
  'EMPTY_FILE',
  'FILE_SIZE_EXCEEDED',
  'CORRUPTED_FILE',
  'ZIP_BOMB_DETECTED',
  'ROW_LIMIT_EXCEEDED',
  'COLUMN_LIMIT_EXCEEDED',
  'LINE_TOO_LONG',
  'INVALID_COLUMN_TYPES',
]);

function isFileContentError(error: ErrorInfo | null): boolean {
  return error !== null && FILE_CONTENT_ERRORS.has(error.code);
}

type ProgressStage = 'upload' | 'process';

/** What the bar and its labels need, derived from the state. */
export interface ProgressView {
  state: CardState;
  stage: ProgressStage;
  /** Changes when the bar starts over (upload → processing, new attempt), so it is not animated backwards. */
  barKey: string;
  percent: number;
  /** No measurable progress yet (queued, or waiting for the first snapshot). */
  indeterminate: boolean;
  phase: Phase | null;
  uploadLoaded: number;
  uploadTotal: number;
  processedRows: number;
  totalRows: number | null;
  totalIsEstimate: boolean;
  etaSeconds: number | null;
  attempts: number | null;
  final: boolean;
  canCancel: boolean;
  canRetry: boolean;
  /** Retrying is worth suggesting (the failure was not caused by the file's content). */
  retrySuggested: boolean;
  canRemove: boolean;
  /**
   * Whether the bar is drawn. A task that ended without completing and without any progress
   * (failed at once, or reloaded after a cancel: the server reports 0) has nothing to show.
   */
  showBar: boolean;
  busy: 'cancel' | 'retry' | null;
  error: ErrorInfo | null;
  actionError: ErrorInfo | null;
  statistics: Statistics | null;
  downloadsReady: boolean;
  connection: ConnectionMode | null;
  resumed: boolean;
}

/** `canReupload`: the browser still holds the File, so a task-less card can be sent again. */
export function toProgressView(s: ProgressState, canReupload: boolean): ProgressView {
  const stage: ProgressStage = s.taskId === null ? 'upload' : 'process';
  const final = isFinalState(s.state);
  const uploadPercent = s.uploadTotal > 0 ? clampPercent((100 * s.uploadLoaded) / s.uploadTotal) : 0;
  const percent = stage === 'upload' ? uploadPercent : s.state === 'completed' ? 100 : s.percent;
  const running = s.state === 'waiting' || s.state === 'uploading' || s.state === 'pending' || s.state === 'processing';
  const taskRetry = s.taskId !== null && !s.lost && (s.state === 'failed' || s.state === 'timeout' || s.state === 'cancelled');
  const uploadRetry = s.taskId === null && canReupload && (s.state === 'cancelled' || (s.state === 'rejected' && !isFileContentError(s.error)));
  return {
    state: s.state,
    stage,
    barKey: `${stage}-${s.epoch}-${s.attempts ?? 0}`,
    percent,
    indeterminate: s.state === 'waiting' || (s.state === 'pending' && percent === 0) || s.resumed,
    phase: s.phase,
    uploadLoaded: s.uploadLoaded,
    uploadTotal: s.uploadTotal,
    processedRows: s.processedRows,
    totalRows: s.totalRows,
    totalIsEstimate: s.totalIsEstimate,
    etaSeconds: s.etaSeconds,
    attempts: s.attempts,
    final,
    canCancel: running && s.pendingAction === null,
    canRetry: (taskRetry || uploadRetry) && s.pendingAction === null,
    retrySuggested: !isFileContentError(s.error),
    canRemove: final && s.pendingAction === null,
    showBar: s.state !== 'rejected' && !(final && s.state !== 'completed' && percent === 0),
    busy: s.pendingAction,
    error: s.error,
    actionError: s.actionError,
    statistics: s.statistics,
    downloadsReady: s.state === 'completed' && s.taskId !== null,
    connection: s.connection,
    resumed: s.resumed,
  };
}
