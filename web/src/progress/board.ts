/**
 * The list of upload cards, framework-free: runs uploads (a few at a time), starts a watcher per
 * task, handles cancel/retry/remove, remembers task ids for resuming, and publishes immutable
 * snapshots for React's useSyncExternalStore. Lives as long as the app, so switching pages does
 * not interrupt anything; a reload resumes from the recent-task store.
 */
import type { ErrorInfo } from '../i18n/errors.js';
import type { StatusSnapshot, UploadAccepted, UploadFields } from '../types.js';
import {
  initialUploadState,
  progressReducer,
  rejectedState,
  resumedState,
  toProgressView,
  type CardState,
  type ProgressEvent,
  type ProgressState,
  type ProgressView,
} from './machine.js';
import type { RecentTaskStore } from './recentTasks.js';
import type { WatcherMode } from './watcher.js';

export interface BoardApi {
  upload(file: File, options: UploadFields & { onProgress?: (loaded: number, total: number) => void; signal?: AbortSignal }): Promise<UploadAccepted>;
  cancelTask(taskId: string): Promise<unknown>;
  retryTask(taskId: string): Promise<unknown>;
}

export interface WatcherHandlers {
  onSnapshot(snapshot: StatusSnapshot): void;
  onModeChange(mode: WatcherMode): void;
  onFatal(error: unknown): void;
}

interface WatcherLike {
  start(): void;
  stop(): void;
}

type WatcherFactory = (taskId: string, handlers: WatcherHandlers) => WatcherLike;

export interface CardModel {
  id: string;
  fileName: string;
  size: number;
  progress: ProgressState;
  view: ProgressView;
}

export interface CardTransition {
  card: CardModel;
  previous: CardState;
  /** The card was restored from storage and this is its first real state (not news to announce). */
  wasResumed: boolean;
}

interface TaskBoardDeps {
  api: BoardApi;
  createWatcher: WatcherFactory;
  store: RecentTaskStore;
  toErrorInfo: (error: unknown) => ErrorInfo;
  /** True for the error an aborted upload rejects with. */
  isAbort: (error: unknown) => boolean;
  maxParallelUploads?: number;
  now?: () => Date;
}

/** A file to upload with the form fields chosen for it (kept for a re-upload). */
export interface NewUpload extends UploadFields {
  file: File;
}

interface Entry {
  model: CardModel;
  file: File | null;
  fields?: UploadFields;
  abort: AbortController | null;
  watcher: WatcherLike | null;
}

export class TaskBoard {
  private readonly entries = new Map<string, Entry>();
  /** Card ids, newest first. */
  private order: string[] = [];
  private snapshot: readonly CardModel[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly transitionListeners = new Set<(transition: CardTransition) => void>();
  private nextId = 1;
  private readonly maxParallelUploads: number;
  private readonly now: () => Date;

  constructor(private readonly deps: TaskBoardDeps) {
    this.maxParallelUploads = deps.maxParallelUploads ?? 2;
    this.now = deps.now ?? (() => new Date());
  }

  getSnapshot = (): readonly CardModel[] => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Called whenever a card changes state (for announcements). */
  onTransition(listener: (transition: CardTransition) => void): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }

  /** Re-subscribes to every stored task that is not on the board yet (page load, coming back). */
  resume(): void {
    const known = new Set([...this.entries.values()].map((entry) => entry.model.progress.taskId));
    const resumed: string[] = [];
    for (const task of this.deps.store.list()) {
      if (known.has(task.taskId)) continue;
      known.add(task.taskId);
      const id = `task-${task.taskId}`;
      const progress = resumedState(task.taskId, task.fileId, task.size);
      this.entries.set(id, { model: makeModel(id, task.fileName, task.size, progress, false), file: null, abort: null, watcher: null });
      resumed.push(id);
    }
    if (resumed.length === 0) return;
    this.order = [...this.order, ...resumed];
    this.publish();
    for (const id of resumed) this.startWatcher(id);
  }

  /** Starts watching a task uploaded elsewhere (e.g. opened from the file list). */
  track(task: { taskId: string; fileId: string | null; fileName: string; size: number }): void {
    this.deps.store.add({ ...task, addedAt: this.now().toISOString() });
    this.resume();
  }

  addFiles(uploads: NewUpload[]): void {
    if (uploads.length === 0) return;
    const ids: string[] = [];
    for (const { file, ...fields } of uploads) {
      const id = `upload-${this.nextId++}`;
      const progress = initialUploadState(file.size);
      this.entries.set(id, {
        model: makeModel(id, file.name, file.size, progress, true),
        file,
        fields,
        abort: null,
        watcher: null,
      });
      ids.push(id);
    }
    this.order = [...ids.reverse(), ...this.order];
    this.publish();
    this.pumpUploads();
  }

  /** A file refused by the client-side checks: shown as a card with the reason, never uploaded. */
  addRejected(file: { name: string; size: number }, error: ErrorInfo): void {
    const id = `upload-${this.nextId++}`;
    this.entries.set(id, { model: makeModel(id, file.name, file.size, rejectedState(file.size, error), false), file: null, abort: null, watcher: null });
    this.order = [id, ...this.order];
    this.publish();
    this.emitTransition(this.entries.get(id)!.model, 'waiting', false);
  }

  cancel(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    const { state, taskId, epoch } = entry.model.progress;
    if (state === 'waiting' || state === 'uploading') {
      entry.abort?.abort();
      entry.abort = null;
      this.dispatch(id, { type: 'uploadAborted' });
      this.pumpUploads();
      return;
    }
    if (!taskId || !this.dispatch(id, { type: 'cancelRequested' })) return;
    this.deps.api.cancelTask(taskId).then(
      () => {
        if (this.entries.get(id)?.model.progress.epoch !== epoch) return;
        if (this.dispatch(id, { type: 'cancelSucceeded' })) this.stopWatcher(id);
      },
      (error: unknown) => this.dispatch(id, { type: 'actionFailed', error: this.deps.toErrorInfo(error) }),
    );
  }

  retry(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    const { taskId } = entry.model.progress;
    if (!taskId) {
      if (entry.file && this.dispatch(id, { type: 'reuploadQueued' })) this.pumpUploads();
      return;
    }
    if (!this.dispatch(id, { type: 'retryRequested' })) return;
    this.deps.api.retryTask(taskId).then(
      () => {
        this.stopWatcher(id);
        if (this.dispatch(id, { type: 'retrySucceeded' })) this.startWatcher(id);
      },
      (error: unknown) => this.dispatch(id, { type: 'actionFailed', error: this.deps.toErrorInfo(error) }),
    );
  }

  /** Removes a card and forgets its task id (the task itself is not touched). */
  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.abort?.abort();
    this.stopWatcher(id);
    if (entry.model.progress.taskId) this.deps.store.remove(entry.model.progress.taskId);
    this.entries.delete(id);
    this.order = this.order.filter((other) => other !== id);
    this.publish();
    this.pumpUploads();
  }

  clearFinished(): void {
    for (const id of [...this.order]) {
      if (this.entries.get(id)?.model.view.canRemove) this.remove(id);
    }
  }

  /** Stops every watcher and upload (tests, hot reload). */
  dispose(): void {
    for (const [id, entry] of this.entries) {
      entry.abort?.abort();
      this.stopWatcher(id);
    }
    this.listeners.clear();
    this.transitionListeners.clear();
  }

  private pumpUploads(): void {
    let active = 0;
    for (const entry of this.entries.values()) if (entry.model.progress.state === 'uploading') active += 1;
    // Oldest waiting card first: files upload in the order they were chosen.
    for (const id of [...this.order].reverse()) {
      if (active >= this.maxParallelUploads) return;
      const entry = this.entries.get(id);
      if (entry?.file && entry.model.progress.state === 'waiting') {
        this.startUpload(id, entry, entry.file);
        active += 1;
      }
    }
  }

  private startUpload(id: string, entry: Entry, file: File): void {
    const epoch = entry.model.progress.epoch;
    const abort = new AbortController();
    entry.abort = abort;
    this.dispatch(id, { type: 'uploadStarted', total: file.size });
    const current = () => {
      const now = this.entries.get(id);
      return now && now.model.progress.epoch === epoch && now.abort === abort ? now : null;
    };
    this.deps.api
      .upload(file, {
        ...entry.fields,
        signal: abort.signal,
        onProgress: (loaded, total) => {
          if (current()) this.dispatch(id, { type: 'uploadProgress', loaded, total });
        },
      })
      .then(
        (accepted) => {
          const live = current();
          if (!live) return;
          live.abort = null;
          if (!this.dispatch(id, { type: 'uploadAccepted', taskId: accepted.taskId, fileId: accepted.fileId ?? null })) return;
          this.deps.store.add({
            taskId: accepted.taskId,
            fileId: accepted.fileId ?? null,
            fileName: file.name,
            size: file.size,
            addedAt: this.now().toISOString(),
          });
          this.startWatcher(id);
        },
        (error: unknown) => {
          const live = current();
          if (!live) return;
          live.abort = null;
          if (this.deps.isAbort(error)) this.dispatch(id, { type: 'uploadAborted' });
          else this.dispatch(id, { type: 'uploadRejected', error: this.deps.toErrorInfo(error) });
        },
      )
      .finally(() => this.pumpUploads());
  }

  private startWatcher(id: string): void {
    const entry = this.entries.get(id);
    const taskId = entry?.model.progress.taskId;
    if (!entry || !taskId) return;
    entry.watcher?.stop();
    const epoch = entry.model.progress.epoch;
    const watcher = this.deps.createWatcher(taskId, {
      onSnapshot: (snapshot) => this.dispatch(id, { type: 'snapshot', epoch, snapshot }),
      onModeChange: (mode) => {
        const connection = mode === 'sse' ? 'sse' : mode === 'polling' ? 'polling' : null;
        this.dispatch(id, { type: 'connection', epoch, mode: connection });
      },
      onFatal: (error) => this.dispatch(id, { type: 'watchFailed', epoch, error: this.deps.toErrorInfo(error) }),
    });
    entry.watcher = watcher;
    watcher.start();
  }

  private stopWatcher(id: string): void {
    const entry = this.entries.get(id);
    entry?.watcher?.stop();
    if (entry) entry.watcher = null;
  }

  /** Applies an event; returns false when the machine ignored it. */
  private dispatch(id: string, event: ProgressEvent): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    const previous = entry.model.progress;
    const next = progressReducer(previous, event);
    if (next === previous) return false;
    entry.model = makeModel(id, entry.model.fileName, entry.model.size, next, entry.file !== null);
    this.publish();
    if (next.state !== previous.state) this.emitTransition(entry.model, previous.state, previous.resumed);
    return true;
  }

  private publish(): void {
    this.snapshot = this.order.map((id) => this.entries.get(id)!.model);
    for (const listener of [...this.listeners]) listener();
  }

  private emitTransition(card: CardModel, previous: CardState, wasResumed: boolean): void {
    for (const listener of [...this.transitionListeners]) listener({ card, previous, wasResumed });
  }
}

function makeModel(id: string, fileName: string, size: number, progress: ProgressState, hasFile: boolean): CardModel {
  return { id, fileName, size, progress, view: toProgressView(progress, hasFile) };
}
