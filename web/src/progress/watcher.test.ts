import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api.js';
import { TASK_ID, completedSnapshot, snapshot } from '../test-support/fixtures.js';
import type { StatusSnapshot } from '../types.js';
import { TaskWatcher, limitEventSources, parseSnapshot, type EventSourceLike, type Timers, type WatcherMode } from './watcher.js';

class FakeEventSource implements EventSourceLike {
  readonly listeners = new Map<string, ((event: MessageEvent<string> | Event) => void)[]>();
  closed = false;
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent<string> | Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
  }
  emit(type: string, data?: unknown): void {
    const event = type === 'error' ? new Event('error') : new MessageEvent(type, { data: typeof data === 'string' ? data : JSON.stringify(data) });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

/** Timers under the test's control: `tick()` runs the next due callback. */
class ManualTimers implements Timers {
  private queue: { id: number; callback: () => void; ms: number }[] = [];
  private nextId = 1;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.queue.push({ id, callback, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((entry) => entry.id !== handle);
  }
  get pending(): number[] {
    return this.queue.map((entry) => entry.ms);
  }
  async tick(): Promise<void> {
    const next = this.queue.shift();
    next?.callback();
    await flush();
  }
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function setup(options: { sse?: boolean; responses?: (StatusSnapshot | Error)[] } = {}) {
  const sources: FakeEventSource[] = [];
  const responses = [...(options.responses ?? [])];
  const fetchStatus = vi.fn(async (): Promise<StatusSnapshot> => {
    const next = responses.shift();
    if (!next) throw new Error('no more responses');
    if (next instanceof Error) throw next;
    return next;
  });
  const timers = new ManualTimers();
  const received: StatusSnapshot[] = [];
  const sourcesSeen: string[] = [];
  const modes: WatcherMode[] = [];
  const fatal: unknown[] = [];
  const watcher = new TaskWatcher({
    taskId: TASK_ID,
    eventsUrl: `/api/data-cleaning/events/${TASK_ID}?token=t`,
    createEventSource:
      options.sse === false
        ? null
        : (url) => {
            const source = new FakeEventSource(url);
            sources.push(source);
            return source;
          },
    fetchStatus,
    timers,
    onSnapshot: (value, source) => {
      received.push(value);
      sourcesSeen.push(source);
    },
    onModeChange: (mode) => modes.push(mode),
    onFatal: (error) => fatal.push(error),
  });
  return { watcher, sources, fetchStatus, timers, received, sourcesSeen, modes, fatal };
}

describe('TaskWatcher over SSE', () => {
  it('SSE progress messages drive the snapshots; a final state closes the stream', () => {
    const { watcher, sources, received, modes, fetchStatus } = setup();
    watcher.start();
    expect(sources).toHaveLength(1);
    expect(sources[0].url).toBe(`/api/data-cleaning/events/${TASK_ID}?token=t`);
    expect(watcher.mode).toBe('sse');
    sources[0].emit('progress', snapshot({ progress: 10 }));
    sources[0].emit('progress', snapshot({ progress: 55 }));
    expect(received.map((value) => value.progress)).toEqual([10, 55]);
    sources[0].emit('progress', completedSnapshot());
    expect(sources[0].closed).toBe(true);
    expect(watcher.mode).toBe('stopped');
    expect(modes).toEqual(['sse', 'stopped']);
    expect(fetchStatus).not.toHaveBeenCalled();
    // The server closing the stream afterwards must not start polling.
    sources[0].emit('error');
    expect(watcher.mode).toBe('stopped');
  });

  it('ignores malformed messages and messages about another task', () => {
    const { watcher, sources, received } = setup();
    watcher.start();
    sources[0].emit('progress', 'not json');
    sources[0].emit('progress', { hello: 'world' });
    sources[0].emit('progress', snapshot({ taskId: 'someone-else' }));
    expect(received).toHaveLength(0);
    expect(watcher.mode).toBe('sse');
  });

  it('an SSE error switches to polling every second until a final state', async () => {
    const { watcher, sources, received, sourcesSeen, timers, fetchStatus, modes } = setup({
      responses: [snapshot({ progress: 30 }), snapshot({ progress: 60 }), completedSnapshot()],
    });
    watcher.start();
    sources[0].emit('progress', snapshot({ progress: 20 }));
    sources[0].emit('error');
    expect(sources[0].closed).toBe(true);
    expect(watcher.mode).toBe('polling');
    await flush();
    expect(fetchStatus).toHaveBeenCalledTimes(1);
    expect(timers.pending).toEqual([1000]);
    await timers.tick();
    await timers.tick();
    expect(received.map((value) => value.progress)).toEqual([20, 30, 60, 100]);
    expect(sourcesSeen).toEqual(['sse', 'poll', 'poll', 'poll']);
    expect(watcher.mode).toBe('stopped');
    expect(timers.pending).toEqual([]);
    expect(modes).toEqual(['sse', 'polling', 'stopped']);
  });

  it('events from a stream already abandoned are ignored', async () => {
    const { watcher, sources, received } = setup({ responses: [snapshot({ progress: 40 })] });
    watcher.start();
    sources[0].emit('error');
    await flush();
    sources[0].emit('progress', snapshot({ progress: 99 }));
    expect(received.map((value) => value.progress)).toEqual([40]);
  });
});

describe('TaskWatcher polling', () => {
  it('polls at once when SSE is unavailable, and stops at a final state', async () => {
    const { watcher, fetchStatus, timers, received } = setup({
      sse: false,
      responses: [snapshot({ status: 'pending', progress: 0 }), snapshot({ status: 'failed', errorCode: 'CORRUPTED_FILE' })],
    });
    watcher.start();
    expect(watcher.mode).toBe('polling');
    await flush();
    await timers.tick();
    expect(fetchStatus).toHaveBeenCalledTimes(2);
    expect(received.at(-1)?.status).toBe('failed');
    expect(watcher.mode).toBe('stopped');
    expect(timers.pending).toEqual([]);
  });

  it('falls back to polling when the stream cannot be opened (factory returns null or throws)', async () => {
    for (const factory of [
      () => null,
      () => {
        throw new Error('blocked');
      },
    ]) {
      const fetchStatus = vi.fn(async () => completedSnapshot());
      const watcher = new TaskWatcher({
        taskId: TASK_ID,
        eventsUrl: '/x',
        createEventSource: factory,
        fetchStatus,
        timers: new ManualTimers(),
        onSnapshot: () => {},
      });
      watcher.start();
      await flush();
      expect(fetchStatus).toHaveBeenCalledTimes(1);
      expect(watcher.mode).toBe('stopped');
    }
  });

  it('moves from polling to SSE once a stream slot is free, but never after a stream error', async () => {
    const fetchStatus = vi.fn(async () => snapshot({ progress: 10 }));
    const timers = new ManualTimers();
    let slotFree = false;
    const sources: FakeEventSource[] = [];
    const watcher = new TaskWatcher({
      taskId: TASK_ID,
      eventsUrl: '/e',
      createEventSource: (url) => {
        if (!slotFree) return null;
        const source = new FakeEventSource(url);
        sources.push(source);
        return source;
      },
      fetchStatus,
      timers,
      onSnapshot: () => {},
    });
    watcher.start();
    expect(watcher.mode).toBe('polling');
    await flush();
    expect(timers.pending).toEqual([1000]);
    slotFree = true;
    await timers.tick();
    expect(watcher.mode).toBe('sse');
    expect(timers.pending).toEqual([]);
    expect(fetchStatus).toHaveBeenCalledTimes(2);
    sources[0].emit('error');
    await flush();
    await timers.tick();
    expect(watcher.mode).toBe('polling');
    expect(sources).toHaveLength(1);
    watcher.stop();
  });

  it('backs off on transient errors and recovers', async () => {
    const { watcher, timers, received } = setup({
      sse: false,
      responses: [
        new ApiError(503, 'QUEUE_UNAVAILABLE', '队列不可用'),
        new ApiError(0, 'NETWORK_ERROR', ''),
        snapshot({ progress: 5 }),
        snapshot({ progress: 6 }),
      ],
    });
    watcher.start();
    await flush();
    expect(timers.pending).toEqual([2000]);
    await timers.tick();
    expect(timers.pending).toEqual([4000]);
    await timers.tick();
    expect(received.map((value) => value.progress)).toEqual([5]);
    expect(timers.pending).toEqual([1000]);
    watcher.stop();
  });

  it('a 404 (task gone) stops for good and reports it', async () => {
    const gone = new ApiError(404, 'JOB_NOT_FOUND', '任务不存在');
    const { watcher, timers, fatal } = setup({ sse: false, responses: [gone] });
    watcher.start();
    await flush();
    expect(fatal).toEqual([gone]);
    expect(watcher.mode).toBe('stopped');
    expect(timers.pending).toEqual([]);
  });

  it('stop() drops an answer still in flight and cancels the next poll', async () => {
    let resolve: (value: StatusSnapshot) => void = () => {};
    const received: StatusSnapshot[] = [];
    const timers = new ManualTimers();
    const watcher = new TaskWatcher({
      taskId: TASK_ID,
      eventsUrl: '/x',
      createEventSource: null,
      fetchStatus: () => new Promise<StatusSnapshot>((done) => (resolve = done)),
      timers,
      onSnapshot: (value) => received.push(value),
    });
    watcher.start();
    watcher.stop();
    resolve(snapshot({ progress: 50 }));
    await flush();
    expect(received).toEqual([]);
    expect(timers.pending).toEqual([]);
  });
});

describe('SSE helpers', () => {
  it('parseSnapshot accepts status objects only', () => {
    expect(parseSnapshot(JSON.stringify(snapshot()))?.taskId).toBe(TASK_ID);
    expect(parseSnapshot('[]')).toBeNull();
    expect(parseSnapshot('null')).toBeNull();
    expect(parseSnapshot('{')).toBeNull();
    expect(parseSnapshot(undefined)).toBeNull();
  });

  it('limitEventSources caps open streams and frees a slot on close (once)', () => {
    const created: FakeEventSource[] = [];
    const factory = limitEventSources((url) => {
      const source = new FakeEventSource(url);
      created.push(source);
      return source;
    }, 2);
    const first = factory('/a');
    const second = factory('/b');
    expect(factory('/c')).toBeNull();
    first?.close();
    first?.close();
    expect(created[0].closed).toBe(true);
    expect(factory('/d')).not.toBeNull();
    expect(factory('/e')).toBeNull();
    expect(second).not.toBeNull();
  });
});
