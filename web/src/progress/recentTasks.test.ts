import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../test-support/memoryStorage.js';
import { RECENT_TASKS_KEY, RecentTaskStore, type RecentTask } from './recentTasks.js';

const task = (n: number): RecentTask => ({ taskId: `task-${n}`, fileId: `file-${n}`, fileName: `f${n}.csv`, size: n, addedAt: '2026-11-27T10:00:00.000Z' });

describe('RecentTaskStore', () => {
  it('keeps tasks newest first, without duplicates, up to the limit', () => {
    const storage = new MemoryStorage();
    const store = new RecentTaskStore(storage, 3);
    store.add(task(1));
    store.add(task(2));
    store.add(task(1));
    expect(store.list().map((entry) => entry.taskId)).toEqual(['task-1', 'task-2']);
    store.add(task(3));
    store.add(task(4));
    expect(store.list().map((entry) => entry.taskId)).toEqual(['task-4', 'task-3', 'task-1']);
    store.remove('task-3');
    expect(new RecentTaskStore(storage, 3).list().map((entry) => entry.taskId)).toEqual(['task-4', 'task-1']);
  });

  it('survives corrupted or foreign content and missing storage', () => {
    const storage = new MemoryStorage();
    storage.setItem(RECENT_TASKS_KEY, '{not json');
    expect(new RecentTaskStore(storage).list()).toEqual([]);
    storage.setItem(RECENT_TASKS_KEY, JSON.stringify([task(1), { taskId: 5 }, null, 'x', { ...task(2), size: '2' }]));
    expect(new RecentTaskStore(storage).list()).toEqual([task(1)]);
    const none = new RecentTaskStore(null);
    none.add(task(1));
    expect(none.list()).toEqual([]);
  });

  it('ignores storage that throws (quota, disabled)', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => {},
    };
    const store = new RecentTaskStore(broken);
    expect(() => store.add(task(1))).not.toThrow();
    expect(store.list()).toEqual([]);
  });
});
