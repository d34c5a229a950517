import type { Logger } from '../logging.js';
import type { QueueManager } from '../queue/queue-manager.js';
import type { Database } from '../storage/index.js';
import { taskStatusDto, type TaskStatusDto } from './dto.js';

type Listener = (view: TaskStatusDto) => void;

/**
 * Live task status for the SSE streams of one API instance.
 *
 * Rules:
 * - Every stream of a task shares one read: a change is read once from the database (plus the
 *   queue's live progress) and fanned out to all of that task's listeners, so 500 streams of one
 *   task cost what one does.
 * - A refresh is triggered by the queue's events for the task (progress, completed, failed) and by
 *   {@link notify} (this instance's cancel and retry). A safety-net poll every `pollMs` refreshes
 *   each watched task once (one read per task, not per connection) for changes nobody announces
 *   here, e.g. a cancel through another API instance.
 * - Refreshes of one task never overlap; one requested meanwhile runs once after it.
 */
export class TaskWatch {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private poll?: NodeJS.Timeout;
  private detach?: () => void;
  private count = 0;

  constructor(private readonly deps: { db: Database; queue?: QueueManager; logger: Logger; pollMs: number }) {}

  /** Open streams (listeners) across all tasks. */
  get connections(): number {
    return this.count;
  }

  /** Whether some stream already watches the task (it exists: no need to look it up again). */
  isWatched(taskId: string): boolean {
    return this.listeners.has(taskId);
  }

  /** Starts delivering a task's changes to `listener`; returns the unsubscribe function. */
  subscribe(taskId: string, listener: Listener): () => void {
    this.start();
    let set = this.listeners.get(taskId);
    if (!set) this.listeners.set(taskId, (set = new Set()));
    set.add(listener);
    this.count++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.count--;
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(taskId) === set) this.listeners.delete(taskId);
      if (this.count === 0) this.stop();
    };
  }

  /** Re-reads a watched task now (after a change this instance made). */
  notify(taskId: string): void {
    if (!this.listeners.has(taskId)) return;
    if (this.running.has(taskId)) {
      this.again.add(taskId);
      return;
    }
    const run = this.refresh(taskId).finally(() => {
      this.running.delete(taskId);
      if (this.again.delete(taskId)) this.notify(taskId);
    });
    this.running.set(taskId, run);
  }

  close(): void {
    this.listeners.clear();
    this.count = 0;
    this.stop();
  }

  private async refresh(taskId: string): Promise<void> {
    try {
      const record = await this.deps.db.getFileRecordByJobId(taskId);
      if (!record) return;
      const view = await taskStatusDto(record, this.deps.queue);
      for (const listener of [...(this.listeners.get(taskId) ?? [])]) listener(view);
    } catch (err) {
      this.deps.logger.debug({ err, taskId }, 'task watch refresh failed');
    }
  }

  private start(): void {
    if (this.poll) return;
    this.poll = setInterval(() => {
      for (const taskId of this.listeners.keys()) this.notify(taskId);
    }, this.deps.pollMs);
    this.poll.unref();
    const events = this.deps.queue?.queueEvents();
    if (!events) return;
    const onEvent = ({ jobId }: { jobId: string }) => this.notify(jobId);
    events.on('progress', onEvent);
    events.on('completed', onEvent);
    events.on('failed', onEvent);
    this.detach = () => {
      events.off('progress', onEvent);
      events.off('completed', onEvent);
      events.off('failed', onEvent);
    };
  }

  private stop(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    this.detach?.();
    this.detach = undefined;
  }
}
