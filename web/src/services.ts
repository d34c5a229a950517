/**
 * The app's long-lived services, wired once: token store, API client, and the board of upload
 * cards with its watchers. Components reach them through this module (no framework needed).
 */
import { ApiClient, errorInfoFrom, isAbortError } from './api.js';
import { AuthStore, type StorageLike } from './auth.js';
import { TaskBoard } from './progress/board.js';
import { RecentTaskStore } from './progress/recentTasks.js';
import { TaskWatcher, limitEventSources, type EventSourceFactory } from './progress/watcher.js';

/** Open SSE streams at most; the remaining tasks poll (HTTP/1.1 allows ~6 connections per host). */
const MAX_EVENT_STREAMS = 3;

function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export interface Services {
  auth: AuthStore;
  api: ApiClient;
  recentTasks: RecentTaskStore;
  board: TaskBoard;
}

export function createServices(storage: StorageLike | null = browserStorage(), options: { fetch?: typeof fetch } = {}): Services {
  const auth = new AuthStore(storage);
  const api = new ApiClient({ auth, fetch: options.fetch });
  const recentTasks = new RecentTaskStore(storage);
  const createEventSource: EventSourceFactory | null =
    typeof EventSource === 'undefined' ? null : limitEventSources((url) => new EventSource(url), MAX_EVENT_STREAMS);
  const board = new TaskBoard({
    api,
    store: recentTasks,
    toErrorInfo: errorInfoFrom,
    isAbort: isAbortError,
    createWatcher: (taskId, handlers) =>
      new TaskWatcher({
        taskId,
        eventsUrl: api.eventsUrl(taskId),
        createEventSource,
        fetchStatus: (id) => api.checkStatus(id),
        onSnapshot: handlers.onSnapshot,
        onModeChange: handlers.onModeChange,
        onFatal: handlers.onFatal,
      }),
  });
  return { auth, api, recentTasks, board };
}
