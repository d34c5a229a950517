/**
 * The ids of recently uploaded tasks, kept in localStorage so that leaving the page or reloading
 * it resumes watching them. Tolerates missing storage and corrupted content.
 */
import type { StorageLike } from '../auth.js';

export interface RecentTask {
  taskId: string;
  fileId: string | null;
  fileName: string;
  size: number;
  addedAt: string;
}

export const RECENT_TASKS_KEY = 'dcs.recentTasks.v1';
const MAX_RECENT_TASKS = 30;

export class RecentTaskStore {
  constructor(
    private readonly storage: StorageLike | null,
    private readonly max = MAX_RECENT_TASKS,
  ) {}

  /** Newest first. */
  list(): RecentTask[] {
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(RECENT_TASKS_KEY) ?? null;
    } catch {
      return [];
    }
    if (!raw) return [];
    try {
      const parsed = JSON.parse(raw) as unknown;
      return Array.isArray(parsed) ? parsed.filter(isRecentTask).slice(0, this.max) : [];
    } catch {
      return [];
    }
  }

  add(task: RecentTask): void {
    const rest = this.list().filter((entry) => entry.taskId !== task.taskId);
    this.save([task, ...rest].slice(0, this.max));
  }

  remove(taskId: string): void {
    const tasks = this.list();
    const kept = tasks.filter((entry) => entry.taskId !== taskId);
    if (kept.length !== tasks.length) this.save(kept);
  }

  private save(tasks: RecentTask[]): void {
    try {
      this.storage?.setItem(RECENT_TASKS_KEY, JSON.stringify(tasks));
    } catch {
      // Quota exceeded or storage disabled: resuming after a reload is a convenience, not a must.
    }
  }
}

function isRecentTask(value: unknown): value is RecentTask {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.taskId === 'string' &&
    entry.taskId.length > 0 &&
    typeof entry.fileName === 'string' &&
    typeof entry.size === 'number' &&
    (entry.fileId === null || typeof entry.fileId === 'string') &&
    typeof entry.addedAt === 'string'
  );
}
