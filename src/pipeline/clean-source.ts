/**
 * Where processFile gets its clean events from: the parse-and-clean stage (table-cleaner.ts), run
 * either inline on the calling thread (`threads: 0`, or a CSV under `threadMinBytes`) or on a worker
 * thread (the default).
 *
 * Rules for the threaded source:
 * - Backpressure: the thread may run at most MAX_BATCHES_IN_FLIGHT batches ahead of the writer;
 *   each release() (the writer is done with a batch) lets it clean one more. Memory stays flat.
 * - Events arrive in the order the thread produced them (one message port): row order is kept.
 * - close() terminates the thread whatever it is doing (abort, timeout, failure); a thread that
 *   dies (an uncaught error, out of memory) fails the pending next() with ThreadCrashError.
 * - Errors thrown inside the thread cross as plain data and are rebuilt: an AppError stays an
 *   AppError with its code and details.
 */
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { sniffFile } from '../parsing/index.js';
import { cleanTable, type CleanTableOptions } from './table-cleaner.js';
import { deserializeError, unpackEvent, type ThreadMessage, type ThreadStart, type WriterMessage } from './thread-protocol.js';
import type { CleanEvent, ProcessOptions } from './types.js';

/** Batches the cleaning thread may have handed over that the writer has not finished yet. */
export const MAX_BATCHES_IN_FLIGHT = 4;

export interface CleanSource {
  /** The next event; rejects when `signal` aborts (at once for a thread, at the next batch inline). */
  next(signal?: AbortSignal): Promise<CleanEvent>;
  /** The consumer has finished with the last batch it received. */
  release(): void;
  /** Stops the stage and frees its resources; safe to call twice. */
  close(): Promise<void>;
  /** The most batches that were ever received and not yet released (the backpressure bound). */
  readonly peakBatchesInFlight: number;
}

/** A cleaning thread stopped without reporting an error of its own (crash, out of memory, exit). */
export class ThreadCrashError extends Error {
  readonly code = 'CLEANING_THREAD_CRASHED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThreadCrashError';
  }
}

function cleanTableOptions(options: ProcessOptions): CleanTableOptions {
  const { originalName, encoding, delimiter, limits, batchSize, columnTypes, dedupe, detectionMaxValueChars } = options;
  return { originalName, encoding, delimiter, limits, batchSize, columnTypes, dedupe, detectionMaxValueChars };
}

function abortPromise(signal: AbortSignal | undefined): { promise: Promise<never>; dispose: () => void } | undefined {
  if (!signal) return undefined;
  let onAbort = () => undefined as void;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** Cleaning on the calling thread: simplest, no overlap with writing. */
class InlineSource implements CleanSource {
  private readonly events: AsyncGenerator<CleanEvent>;

  constructor(path: string, options: ProcessOptions) {
    this.events = cleanTable(path, { ...cleanTableOptions(options), signal: options.signal });
  }

  async next(): Promise<CleanEvent> {
    const step = await this.events.next();
    if (step.done) throw new Error('the cleaning stage ended without its statistics');
    return step.value;
  }

  release(): void {}

  get peakBatchesInFlight(): number {
    return 1;
  }

  async close(): Promise<void> {
    await this.events.return(undefined);
  }
}

/** The module the thread runs: the .ts source under the test runner, the built .js otherwise. */
function threadEntry(): { filename: string | URL; eval: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./clean-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return { filename: url, eval: false };
  // Tests run the TypeScript sources: the thread registers the same loader (tsx) first.
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return { filename: code, eval: true };
}

/** Cleaning on a worker thread, overlapping the writer on the calling thread. */
class ThreadSource implements CleanSource {
  private readonly worker: Worker;
  private readonly queue: CleanEvent[] = [];
  private waiting?: { resolve: (event: CleanEvent) => void; reject: (err: unknown) => void };
  private failure?: Error;
  private ended = false;
  private closed?: Promise<void>;
  private batchesInFlight = 0;
  peakBatchesInFlight = 0;

  constructor(path: string, options: ProcessOptions) {
    const entry = threadEntry();
    const start: ThreadStart = { path, options: cleanTableOptions(options), maxBatchesInFlight: MAX_BATCHES_IN_FLIGHT };
    this.worker = new Worker(entry.filename, {
      eval: entry.eval,
      workerData: start,
      ...(options.threadMemoryMb ? { resourceLimits: { maxOldGenerationSizeMb: options.threadMemoryMb } } : {}),
    });
    this.worker.on('message', (message: ThreadMessage) => this.receive(message));
    this.worker.on('error', (err) => this.fail(new ThreadCrashError(`the cleaning thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => {
      if (!this.ended) this.fail(new ThreadCrashError(`the cleaning thread exited unexpectedly (code ${code})`));
    });
  }

  next(signal?: AbortSignal): Promise<CleanEvent> {
    const ready = this.queue.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    const next = new Promise<CleanEvent>((resolve, reject) => (this.waiting = { resolve, reject }));
    const abort = abortPromise(signal);
    if (!abort) return next;
    // Once the abort has won the race nobody awaits `next`: a thread error arriving before close()
    // must not become an unhandled rejection (which would end the worker process).
    next.catch(() => undefined);
    return Promise.race([next, abort.promise]).finally(abort.dispose);
  }

  release(): void {
    this.batchesInFlight--;
    if (!this.closed) this.worker.postMessage({ kind: 'release' } satisfies WriterMessage);
  }

  close(): Promise<void> {
    this.ended = true;
    this.closed ??= this.worker.terminate().then(() => undefined);
    return this.closed;
  }

  private receive(message: ThreadMessage): void {
    if (message.kind === 'error') {
      this.ended = true;
      this.fail(deserializeError(message.error));
      return;
    }
    const event = unpackEvent(message);
    if (event.kind === 'end') this.ended = true;
    if (event.kind === 'batch') this.peakBatchesInFlight = Math.max(this.peakBatchesInFlight, ++this.batchesInFlight);
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve(event);
    } else {
      this.queue.push(event);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(this.failure);
    }
  }
}

/**
 * Whether a file is cleaned on a thread: `threads: 0` never; otherwise always, except a CSV
 * smaller than `threadMinBytes`. Starting a thread costs more than cleaning such a file (its
 * module loading: 0.2–0.4 s), and a small CSV is bounded work; a workbook always gets a thread,
 * because a small zip can inflate to pathological XML that must not starve the calling thread.
 */
export async function usesThread(path: string, options: ProcessOptions): Promise<boolean> {
  if ((options.threads ?? 1) === 0) return false;
  const minBytes = options.threadMinBytes ?? 0;
  if (minBytes === 0) return true;
  // Only a small file is sniffed (the reader sniffs it again); an unreadable or unsupported one
  // fails the same way on either side: keep the default.
  const size = await stat(path).then(
    (info) => info.size,
    () => undefined,
  );
  if (size === undefined || size >= minBytes) return true;
  const sniffed = await sniffFile(path, { originalName: options.originalName }).catch(() => undefined);
  return sniffed?.format !== 'csv';
}

export async function openCleanSource(path: string, options: ProcessOptions): Promise<CleanSource> {
  return (await usesThread(path, options)) ? new ThreadSource(path, options) : new InlineSource(path, options);
}
