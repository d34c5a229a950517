/**
 * Follows one task until it reaches a final state: Server-Sent Events first, polling `check-status`
 * every second when SSE is unavailable or fails. EventSource, fetch and timers are injected so the
 * watcher runs in tests without a browser.
 */
import { isFinalStatus, type StatusSnapshot } from '../types.js';

/** The part of the browser's EventSource the watcher uses. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string> | Event) => void): void;
  close(): void;
}

/** Returns null (or throws) when no stream can be opened, e.g. the connection budget is used up. */
export type EventSourceFactory = (url: string) => EventSourceLike | null;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type WatcherMode = 'idle' | 'sse' | 'polling' | 'stopped';
type SnapshotSource = 'sse' | 'poll';

interface TaskWatcherOptions {
  taskId: string;
  eventsUrl: string;
  /** null: SSE is not available in this environment. */
  createEventSource: EventSourceFactory | null;
  fetchStatus: (taskId: string) => Promise<StatusSnapshot>;
  timers?: Timers;
  pollIntervalMs?: number;
  /** Upper bound of the back-off between polls while the server is failing. */
  maxPollIntervalMs?: number;
  /** Errors after which polling is pointless (default: HTTP 400 and 404 — the task does not exist). */
  isFatal?: (error: unknown) => boolean;
  onSnapshot: (snapshot: StatusSnapshot, source: SnapshotSource) => void;
  onModeChange?: (mode: WatcherMode) => void;
  /** The watcher stopped without reaching a final state. */
  onFatal?: (error: unknown) => void;
  /** A poll failed but polling goes on (network error, 503, 401 while a token is being entered…). */
  onTransientError?: (error: unknown) => void;
}

const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

function defaultIsFatal(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 400 || status === 404;
}

export class TaskWatcher {
  private modeValue: WatcherMode = 'idle';
  private eventSource: EventSourceLike | null = null;
  private timer: unknown = null;
  private failedPolls = 0;
  /** A stream failed or cannot be created here: stay on polling. (No stream *slot* is not a failure.) */
  private streamFailed = false;
  private readonly timers: Timers;
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  private readonly isFatal: (error: unknown) => boolean;

  constructor(private readonly options: TaskWatcherOptions) {
    this.timers = options.timers ?? defaultTimers;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 10_000;
    this.isFatal = options.isFatal ?? defaultIsFatal;
  }

  get taskId(): string {
    return this.options.taskId;
  }

  get mode(): WatcherMode {
    return this.modeValue;
  }

  start(): void {
    if (this.modeValue !== 'idle') return;
    if (!this.openStream()) this.startPolling();
  }

  /** Stops for good: closes the stream, cancels the next poll, ignores answers still in flight. */
  stop(): void {
    if (this.modeValue === 'stopped') return;
    this.closeStream();
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.setMode('stopped');
  }

  private openStream(): boolean {
    if (!this.options.createEventSource) return false;
    let source: EventSourceLike | null;
    try {
      source = this.options.createEventSource(this.options.eventsUrl);
    } catch {
      this.streamFailed = true;
      return false;
    }
    if (!source) return false;
    this.eventSource = source;
    this.setMode('sse');
    const onMessage = (event: MessageEvent<string> | Event) => {
      if (this.eventSource !== source) return;
      const snapshot = parseSnapshot((event as MessageEvent<string>).data);
      if (snapshot && snapshot.taskId === this.options.taskId) this.deliver(snapshot, 'sse');
    };
    source.addEventListener('progress', onMessage);
    source.addEventListener('message', onMessage);
    source.addEventListener('error', () => {
      // The browser would reconnect on its own, but an error also covers 401/404/proxy trouble
      // that it cannot tell apart: polling reports those properly and keeps the bar alive.
      if (this.eventSource !== source) return;
      this.streamFailed = true;
      this.closeStream();
      this.startPolling();
    });
    return true;
  }

  private closeStream(): void {
    const source = this.eventSource;
    this.eventSource = null;
    source?.close();
  }

  private startPolling(): void {
    if (this.modeValue === 'stopped' || this.modeValue === 'polling') return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.setMode('polling');
    void this.poll();
  }

  private async poll(): Promise<void> {
    this.timer = null;
    if (this.modeValue !== 'polling') return;
    try {
      const snapshot = await this.options.fetchStatus(this.options.taskId);
      if (this.modeValue !== 'polling') return;
      this.failedPolls = 0;
      this.deliver(snapshot, 'poll');
      // Polling only because every stream slot was taken: move to a stream once one is free.
      if (this.modeValue === 'polling' && !this.streamFailed && this.openStream()) return;
    } catch (error) {
      if (this.modeValue !== 'polling') return;
      if (this.isFatal(error)) {
        this.stop();
        this.options.onFatal?.(error);
        return;
      }
      this.failedPolls += 1;
      this.options.onTransientError?.(error);
    }
    if (this.modeValue !== 'polling') return;
    const delay = Math.min(this.maxPollIntervalMs, this.pollIntervalMs * 2 ** this.failedPolls);
    this.timer = this.timers.setTimeout(() => void this.poll(), delay);
  }

  private deliver(snapshot: StatusSnapshot, source: SnapshotSource): void {
    this.options.onSnapshot(snapshot, source);
    if (isFinalStatus(snapshot.status)) this.stop();
  }

  private setMode(mode: WatcherMode): void {
    if (this.modeValue === mode) return;
    this.modeValue = mode;
    this.options.onModeChange?.(mode);
  }
}

/** Parses one SSE `data` payload; null for anything that is not a status snapshot. */
export function parseSnapshot(data: unknown): StatusSnapshot | null {
  if (typeof data !== 'string' || data === '') return null;
  try {
    const value = JSON.parse(data) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const candidate = value as Partial<StatusSnapshot>;
    return typeof candidate.taskId === 'string' && typeof candidate.status === 'string' ? (value as StatusSnapshot) : null;
  } catch {
    return null;
  }
}

/**
 * Browsers allow ~6 HTTP/1.1 connections per host; one EventSource per task would starve every
 * other request. This caps the number of open streams; tasks beyond the cap poll instead.
 */
export function limitEventSources(create: (url: string) => EventSourceLike, max: number): EventSourceFactory {
  let open = 0;
  return (url) => {
    if (open >= max) return null;
    const source = create(url);
    open += 1;
    let released = false;
    return {
      addEventListener: (type, listener) => source.addEventListener(type, listener),
      close: () => {
        source.close();
        if (!released) {
          released = true;
          open -= 1;
        }
      },
    };
  };
}
