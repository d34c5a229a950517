import { describe, expect, it, vi } from 'vitest';
import { ABORTED, ApiError, errorInfoFrom, isAbortError } from '../api.js';
import { FILE_ID, TASK_ID, completedSnapshot, snapshot } from '../test-support/fixtures.js';
import { MemoryStorage } from '../test-support/memoryStorage.js';
import type { UploadAccepted } from '../types.js';
import { TaskBoard, type BoardApi, type CardTransition, type WatcherHandlers } from './board.js';
import { RecentTaskStore } from './recentTasks.js';

interface PendingUpload {
  file: File;
  columnTypes?: Record<string, string>;
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
  resolve(value: UploadAccepted): void;
  reject(error: unknown): void;
}

class FakeWatcher {
  started = 0;
  stopped = 0;
  constructor(
    readonly taskId: string,
    readonly handlers: WatcherHandlers,
  ) {}
  start() {
    this.started += 1;
  }
  stop() {
    this.stopped += 1;
  }
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function accepted(taskId = TASK_ID): UploadAccepted {
  return { taskId, jobId: taskId, fileId: FILE_ID, status: 'pending', message: '文件上传成功，开始处理' };
}

function setup(storage = new MemoryStorage()) {
  const uploads: PendingUpload[] = [];
  const watchers: FakeWatcher[] = [];
  const api = {
    upload: vi.fn(
      (file: File, options: Omit<PendingUpload, 'file' | 'resolve' | 'reject'>) =>
        new Promise<UploadAccepted>((resolve, reject) => {
          options.signal?.addEventListener('abort', () => reject(new ApiError(0, ABORTED, '')));
          uploads.push({ file, ...options, resolve, reject });
        }),
    ),
    cancelTask: vi.fn(async (taskId: string) => ({ taskId, status: 'cancelled', message: '任务已取消' })),
    retryTask: vi.fn(async (taskId: string) => ({ taskId, status: 'pending', message: '任务已重新排队' })),
  } satisfies BoardApi;
  const store = new RecentTaskStore(storage);
  const board = new TaskBoard({
    api,
    store,
    toErrorInfo: errorInfoFrom,
    isAbort: isAbortError,
    createWatcher: (taskId, handlers) => {
      const watcher = new FakeWatcher(taskId, handlers);
      watchers.push(watcher);
      return watcher;
    },
    maxParallelUploads: 2,
    now: () => new Date('2026-11-27T10:00:00.000Z'),
  });
  const transitions: CardTransition[] = [];
  board.onTransition((transition) => transitions.push(transition));
  return { board, api, uploads, watchers, store, storage, transitions };
}

const csv = (name: string, content = 'a,b\n1,2\n') => new File([content], name, { type: 'text/csv' });
const states = (board: TaskBoard) => board.getSnapshot().map((card) => card.view.state);

describe('TaskBoard uploads', () => {
  it('uploads with progress, remembers the task id and starts watching; snapshots drive the card', async () => {
    const { board, uploads, watchers, store } = setup();
    board.addFiles([{ file: csv('客户.csv'), columnTypes: { 手机: 'phone' } }]);
    expect(states(board)).toEqual(['uploading']);
    expect(uploads[0].columnTypes).toEqual({ 手机: 'phone' });
    uploads[0].onProgress?.(4, 8);
    expect(board.getSnapshot()[0].view.percent).toBe(50);
    uploads[0].resolve(accepted());
    await flush();
    expect(states(board)).toEqual(['pending']);
    expect(store.list()).toEqual([{ taskId: TASK_ID, fileId: FILE_ID, fileName: '客户.csv', size: 8, addedAt: '2026-11-27T10:00:00.000Z' }]);
    expect(watchers).toHaveLength(1);
    expect(watchers[0].started).toBe(1);
    watchers[0].handlers.onModeChange('sse');
    watchers[0].handlers.onSnapshot(snapshot({ progress: 30 }));
    expect(board.getSnapshot()[0].view).toMatchObject({ state: 'processing', percent: 30, connection: 'sse' });
    watchers[0].handlers.onSnapshot(completedSnapshot());
    expect(board.getSnapshot()[0].view).toMatchObject({ state: 'completed', percent: 100, downloadsReady: true });
  });

  it('runs at most two uploads at a time, in the order the files were chosen', async () => {
    const { board, uploads } = setup();
    board.addFiles([{ file: csv('1.csv') }, { file: csv('2.csv') }, { file: csv('3.csv') }]);
    expect(uploads.map((upload) => upload.file.name)).toEqual(['1.csv', '2.csv']);
    expect(board.getSnapshot().map((card) => card.fileName)).toEqual(['3.csv', '2.csv', '1.csv']);
    uploads[0].resolve(accepted('t-1'));
    await flush();
    expect(uploads.map((upload) => upload.file.name)).toEqual(['1.csv', '2.csv', '3.csv']);
  });

  it('a refused upload shows the server reason, and retry sends the file again', async () => {
    const { board, uploads, transitions } = setup();
    board.addFiles([{ file: csv('x.csv') }]);
    uploads[0].reject(new ApiError(503, 'QUEUE_UNAVAILABLE', '队列不可用'));
    await flush();
    const card = board.getSnapshot()[0];
    expect(card.view).toMatchObject({ state: 'rejected', canRetry: true, error: { code: 'QUEUE_UNAVAILABLE', message: '队列不可用' } });
    expect(transitions.map((transition) => transition.card.view.state)).toEqual(['uploading', 'rejected']);
    board.retry(card.id);
    expect(uploads).toHaveLength(2);
    expect(states(board)).toEqual(['uploading']);
  });

  it('cancel during the upload aborts the transfer; a late answer of the aborted upload is ignored', async () => {
    const { board, uploads, api } = setup();
    board.addFiles([{ file: csv('big.csv') }]);
    const id = board.getSnapshot()[0].id;
    board.cancel(id);
    expect(uploads[0].signal?.aborted).toBe(true);
    expect(states(board)).toEqual(['cancelled']);
    uploads[0].resolve(accepted());
    await flush();
    expect(states(board)).toEqual(['cancelled']);
    expect(api.cancelTask).not.toHaveBeenCalled();
  });

  it('client-side rejections appear as cards with the reason and are never uploaded', () => {
    const { board, api, transitions } = setup();
    board.addRejected({ name: '<b>x</b>.pdf', size: 10 }, { code: 'UNSUPPORTED_FILE_TYPE', message: null });
    expect(board.getSnapshot()[0].view).toMatchObject({ state: 'rejected', canRetry: false, canRemove: true });
    expect(api.upload).not.toHaveBeenCalled();
    expect(transitions).toHaveLength(1);
  });
});

describe('TaskBoard task actions', () => {
  async function processingCard() {
    const context = setup();
    context.board.addFiles([{ file: csv('a.csv') }]);
    context.uploads[0].resolve(accepted());
    await flush();
    context.watchers[0].handlers.onSnapshot(snapshot({ progress: 40 }));
    return { ...context, id: context.board.getSnapshot()[0].id };
  }

  it('cancel calls the API, ends as cancelled and stops watching', async () => {
    const { board, api, watchers, id } = await processingCard();
    board.cancel(id);
    expect(board.getSnapshot()[0].view.busy).toBe('cancel');
    await flush();
    expect(api.cancelTask).toHaveBeenCalledWith(TASK_ID);
    expect(board.getSnapshot()[0].view.state).toBe('cancelled');
    expect(watchers[0].stopped).toBe(1);
  });

  it('a refused cancel keeps the task running and shows why', async () => {
    const { board, api, id } = await processingCard();
    api.cancelTask.mockRejectedValueOnce(new ApiError(409, 'INVALID_STATE', '任务已完成'));
    board.cancel(id);
    await flush();
    expect(board.getSnapshot()[0].view).toMatchObject({ state: 'processing', busy: null, actionError: { code: 'INVALID_STATE' } });
  });

  it('retry after a failure re-queues the task and watches it again from zero', async () => {
    const { board, api, watchers, id } = await processingCard();
    watchers[0].handlers.onSnapshot(snapshot({ status: 'failed', errorCode: 'DATABASE_UNAVAILABLE' }));
    expect(board.getSnapshot()[0].view.canRetry).toBe(true);
    board.retry(id);
    await flush();
    expect(api.retryTask).toHaveBeenCalledWith(TASK_ID);
    expect(watchers).toHaveLength(2);
    expect(board.getSnapshot()[0].view).toMatchObject({ state: 'pending', percent: 0, error: null });
    // The first watcher's late message belongs to the old epoch.
    watchers[0].handlers.onSnapshot(snapshot({ status: 'failed' }));
    expect(board.getSnapshot()[0].view.state).toBe('pending');
    watchers[1].handlers.onSnapshot(snapshot({ progress: 12 }));
    expect(board.getSnapshot()[0].view).toMatchObject({ state: 'processing', percent: 12 });
  });

  it('remove forgets the task id and stops its watcher', async () => {
    const { board, watchers, store, id } = await processingCard();
    watchers[0].handlers.onSnapshot(completedSnapshot());
    board.remove(id);
    expect(board.getSnapshot()).toEqual([]);
    expect(store.list()).toEqual([]);
    expect(watchers[0].stopped).toBeGreaterThanOrEqual(1);
  });
});

describe('TaskBoard resume', () => {
  it('re-subscribes to every stored task after a reload, once, and shows their real state', () => {
    const storage = new MemoryStorage();
    const before = new RecentTaskStore(storage);
    before.add({ taskId: 'task-old', fileId: 'f-old', fileName: '旧.csv', size: 10, addedAt: '2026-11-26T10:00:00.000Z' });
    before.add({ taskId: TASK_ID, fileId: FILE_ID, fileName: '新.xlsx', size: 20, addedAt: '2026-11-27T10:00:00.000Z' });

    const { board, watchers, transitions } = setup(storage);
    board.resume();
    board.resume();
    expect(watchers.map((watcher) => watcher.taskId)).toEqual([TASK_ID, 'task-old']);
    expect(board.getSnapshot().map((card) => [card.fileName, card.view.resumed])).toEqual([
      ['新.xlsx', true],
      ['旧.csv', true],
    ]);
    watchers[0].handlers.onSnapshot(snapshot({ progress: 64 }));
    watchers[1].handlers.onSnapshot(completedSnapshot({ taskId: 'task-old' }));
    expect(board.getSnapshot().map((card) => [card.view.state, card.view.percent])).toEqual([
      ['processing', 64],
      ['completed', 100],
    ]);
    // Restored cards reaching their state are not news to announce.
    expect(transitions.every((transition) => transition.wasResumed)).toBe(true);
  });

  it('track() adds a task opened elsewhere and watches it', () => {
    const { board, watchers, store } = setup();
    board.track({ taskId: 'task-x', fileId: 'file-x', fileName: 'x.csv', size: 3 });
    expect(store.list()[0].taskId).toBe('task-x');
    expect(watchers.map((watcher) => watcher.taskId)).toEqual(['task-x']);
  });

  it('a watcher that finds the task gone marks the card lost', () => {
    const storage = new MemoryStorage();
    new RecentTaskStore(storage).add({ taskId: 'gone', fileId: null, fileName: 'g.csv', size: 1, addedAt: '2026-11-27T10:00:00.000Z' });
    const { board, watchers } = setup(storage);
    board.resume();
    watchers[0].handlers.onFatal(new ApiError(404, 'JOB_NOT_FOUND', '任务不存在'));
    expect(board.getSnapshot()[0].view).toMatchObject({ state: 'failed', canRetry: false, canRemove: true, error: { code: 'JOB_NOT_FOUND' } });
  });
});
