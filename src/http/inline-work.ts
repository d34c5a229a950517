/**
 * Work the API does for a request itself (a preview, a `?mode=sync` upload), kept from stalling it.
 *
 * Rules:
 * - At most INLINE_CONCURRENCY such requests run at once; up to INLINE_QUEUE more wait for a slot,
 *   beyond that the request is refused at once with 503 SERVER_BUSY.
 * - Each runs under an AbortSignal that fires when its time limit passes (reason: PROCESSING_TIMEOUT)
 *   or when the client goes away (reason: CANCELLED); a request that is still waiting for a slot
 *   then leaves the queue without running.
 * - The CPU-heavy part never runs on the API's event loop: a preview and a sync upload each run on
 *   a worker thread of their own (a sync upload with its own database connection), at a lower
 *   scheduling priority than the event loop, terminated when the signal fires.
 */
import { Worker } from 'node:worker_threads';
import type { FastifyReply } from 'fastify';
import { AppError } from '../errors.js';
import type { FilePreview } from '../pipeline/preview.js';
import type { ProcessStatistics } from '../domain/index.js';
import type { RunJobOptions } from '../pipeline/run-job.js';
import { deserializeError, type SerializedError } from '../pipeline/thread-protocol.js';

export interface PreviewJob {
  path: string;
  options: Parameters<typeof import('../pipeline/preview.js').previewFile>[1];
}

export type PreviewReply = { ok: true; preview: FilePreview } | { ok: false; error: SerializedError };

/** What a sync-upload thread needs to run one task on its own connections. */
export interface SyncJob {
  databaseUrl: string;
  /** Local path of the uploaded file (the API's copy, kept until the thread has ended). */
  path: string;
  jobId: string;
  token: string;
  options: Pick<RunJobOptions, 'batchSize' | 'limits' | 'detectionMaxValueChars'>;
}

export type SyncReply = { ok: true; statistics: ProcessStatistics } | { ok: false; error: SerializedError };

export class InlineWork {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limits: () => { concurrency: number; queue: number }) {}

  /** Requests running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /**
   * Runs `work` in a slot, with a signal that fires after `timeoutMs` or when the reply's
   * connection closes before the answer was sent.
   */
  async run<T>(reply: FastifyReply, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { concurrency, queue } = this.limits();
    if (this.running >= concurrency && this.waiting.length >= queue) {
      throw new AppError('SERVER_BUSY', '服务器正忙（同时进行的预览和同步处理已达上限），请稍后重试', { concurrency, queue });
    }
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort(new AppError('CANCELLED', '客户端已断开连接，处理已停止'));
    };
    reply.raw.on('close', onClose);
    const timer = setTimeout(() => controller.abort(new AppError('PROCESSING_TIMEOUT', `处理超过时间限制（${Math.round(timeoutMs / 1000)} 秒）`)), timeoutMs);
    try {
      await this.acquire(controller.signal);
      try {
        return await work(controller.signal);
      } finally {
        this.releaseSlot();
      }
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (this.running < this.limits().concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const start = () => {
        signal.removeEventListener('abort', leave);
        this.running++;
        resolve();
      };
      const leave = () => {
        const i = this.waiting.indexOf(start);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
      };
      this.waiting.push(start);
      signal.addEventListener('abort', leave, { once: true });
    });
  }

  private releaseSlot(): void {
    this.running--;
    while (this.running < this.limits().concurrency && this.waiting.length > 0) this.waiting.shift()?.();
  }
}

/** A thread module: the .ts source under the test runner (through tsx), the built .js otherwise. */
function threadEntry(name: ThreadName): { filename: string | URL; eval: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return { filename: url, eval: false };
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return { filename: code, eval: true };
}

type ThreadName = 'preview-thread' | 'sync-thread';

/**
 * Idle threads kept per module: starting one costs its module loading (and a compile under the
 * test runner), so a thread that answered goes back here; one that was aborted is terminated.
 */
const IDLE_THREADS_KEPT = 2;
const idle = new Map<string, Worker[]>();

function takeThread(name: ThreadName, threadMemoryMb?: number): Worker {
  const key = `${name}:${threadMemoryMb ?? ''}`;
  const kept = idle.get(key)?.pop();
  if (kept) return kept;
  const entry = threadEntry(name);
  const worker = new Worker(entry.filename, { eval: entry.eval, ...(threadMemoryMb ? { resourceLimits: { maxOldGenerationSizeMb: threadMemoryMb } } : {}) });
  worker.unref(); // an idle thread never keeps the process alive
  return worker;
}

function keepThread(name: ThreadName, threadMemoryMb: number | undefined, worker: Worker): void {
  const key = `${name}:${threadMemoryMb ?? ''}`;
  const list = idle.get(key) ?? [];
  if (list.length >= IDLE_THREADS_KEPT) {
    void worker.terminate();
    return;
  }
  list.push(worker);
  idle.set(key, list);
}

/**
 * Sends `data` to a thread of the module and resolves with its one reply. A thread that answered
 * is kept for the next job; one that failed, or whose `signal` fired (rejecting with the signal's
 * reason), is terminated whatever it is doing.
 */
function inThread<T>(name: ThreadName, data: unknown, signal: AbortSignal, threadMemoryMb?: number): Promise<T> {
  const worker = takeThread(name, threadMemoryMb);
  let answered = false;
  let onAbort = () => undefined as void;
  let onMessage = (_reply: T) => undefined as void;
  let onError = (_err: Error) => undefined as void;
  let onExit = (_code: number) => undefined as void;
  return new Promise<T>((resolve, reject) => {
    onAbort = () => reject(signal.reason);
    onMessage = (reply) => {
      answered = true;
      resolve(reply);
    };
    onError = (err) => reject(new AppError('CORRUPTED_FILE', `无法处理该文件：${err.message}`));
    onExit = (code) => reject(new AppError('CORRUPTED_FILE', `无法处理该文件（处理线程退出，代码 ${code}）`));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage(data);
  }).finally(() => {
    signal.removeEventListener('abort', onAbort);
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
    if (answered && !signal.aborted) keepThread(name, threadMemoryMb, worker);
    else void worker.terminate();
  });
}

/** Previews a file on a worker thread of its own. */
export async function previewInThread(job: PreviewJob, signal: AbortSignal, threadMemoryMb?: number): Promise<FilePreview> {
  const reply = await inThread<PreviewReply>('preview-thread', job, signal, threadMemoryMb);
  if (!reply.ok) throw deserializeError(reply.error);
  return reply.preview;
}

/** Runs a sync upload's task on a worker thread of its own (own database connection). */
export async function syncInThread(job: SyncJob, signal: AbortSignal, threadMemoryMb?: number): Promise<ProcessStatistics> {
  const reply = await inThread<SyncReply>('sync-thread', job, signal, threadMemoryMb);
  if (!reply.ok) throw deserializeError(reply.error);
  return reply.statistics;
}
