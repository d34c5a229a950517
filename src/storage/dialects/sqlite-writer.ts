/**
 * The main thread's side of the SQLite writer thread (sqlite-writer-thread.ts).
 *
 * Rules:
 * - One thread per adapter, started on the first batch; requests are answered in order.
 * - Until the thread reports it is ready (its start-up takes 0.1–0.5 s), the adapter writes on
 *   its own connection instead: a small job does not wait for a thread it hardly needs.
 * - The caller holds the adapter's per-file write lock while a batch is on the thread, so the
 *   thread's connection never contends with this process's other connection inside SQLite.
 * - A thread that dies fails the batches it held (their transactions roll back with it: nothing is
 *   half-written) and the next batch starts a new thread.
 * - The thread does not keep the process alive while it has nothing to do.
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import { StaleAttemptError } from '../errors.js';
import type { WrittenCounts } from '../row-encoding.js';
import type { RowTexts } from './sqlite-rows.js';
import type { JobStatus } from '../../domain/index.js';

/** What the thread is started with. */
export interface WriterStart {
  file: string;
  busyTimeoutMs: number;
  rowsPerStatement: number;
}

export interface WriterRequest {
  id: number;
  rows: RowTexts;
}

export type WriterReply =
  | { ready: true }
  | { id: number; counts: WrittenCounts }
  | { id: number; stale: { jobId: string; token: string; status: JobStatus | undefined } }
  | { id: number; error: { message: string; code: string | undefined } };

/** The module the thread runs: the .ts source under the test runner, the built .js otherwise. */
function threadEntry(): { filename: string | URL; eval: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./sqlite-writer-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return { filename: url, eval: false };
  // Tests run the TypeScript sources: the thread registers the same loader (tsx) first.
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return { filename: code, eval: true };
}

type Pending = { resolve: (counts: WrittenCounts) => void; reject: (err: Error) => void };

export class SqliteWriterThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #ready = false;
  #readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(private readonly start: WriterStart) {}

  /** Whether the thread can take a batch now (it has opened its connection); starts it if it is not running. */
  isReady(): boolean {
    this.#worker ??= this.#spawn();
    return this.#ready;
  }

  /** Starts the thread if it is not running; resolves once it is ready, rejects if it dies first. */
  whenReady(): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Sends one batch to the thread; resolves with what it stored. */
  write(rows: RowTexts): Promise<WrittenCounts> {
    const worker = (this.#worker ??= this.#spawn());
    const id = this.#nextId++;
    return new Promise<WrittenCounts>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, rows } satisfies WriterRequest);
    });
  }

  /** Stops the thread (after the caller let its batches finish). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = false;
    if (worker) await worker.terminate();
  }

  #spawn(): Worker {
    const entry = threadEntry();
    const worker = new Worker(entry.filename, { eval: entry.eval, workerData: this.start });
    worker.unref();
    worker.on('message', (reply: WriterReply) => this.#settle(reply));
    worker.on('error', (err) => this.#failAll(worker, err));
    worker.on('exit', (code) => this.#failAll(worker, new Error(`the SQLite writer thread exited (code ${code})`)));
    return worker;
  }

  #settle(reply: WriterReply): void {
    if ('ready' in reply) {
      this.#ready = true;
      for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if ('counts' in reply) pending.resolve(reply.counts);
    else if ('stale' in reply) pending.reject(new StaleAttemptError(reply.stale.jobId, reply.stale.token, reply.stale.status));
    else pending.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
  }

  /** The thread is gone: every batch it held fails, and the next write starts a new thread. */
  #failAll(worker: Worker, cause: Error): void {
    if (this.#worker === worker) {
      this.#worker = undefined;
      this.#ready = false;
    }
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(cause);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      p.reject(new AppError('INTERNAL_ERROR', `SQLite 写入线程异常退出：${cause.message}`, { cause: cause.message }));
    }
  }
}
