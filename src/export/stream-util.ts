import type { EventEmitter } from 'node:events';
import { finished } from 'node:stream/promises';

/** What the writers need from an output: Node's writable interface, optionally destroyable. */
export type OutputStream = NodeJS.WritableStream & { destroy?: (error?: Error) => unknown };

/**
 * Watches the output stream a writer owns, so that an 'error' (ENOSPC, client gone…) or a close
 * before the end never crashes the process through an unhandled 'error' event, and never leaves a
 * writer waiting forever for a 'drain' that will not come.
 */
export class OutputGuard {
  private failure: Error | undefined;
  private ended = false;

  constructor(readonly out: OutputStream) {
    out.on('error', (error: Error) => {
      this.failure ??= error;
    });
    out.on('finish', () => {
      this.ended = true;
    });
    out.on('close', () => {
      if (!this.ended) this.failure ??= new Error('export output stream closed before the file was complete');
    });
  }

  /** The first error of the output, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /**
   * Resolves on `source`'s next 'drain'; rejects as soon as the output fails or closes early (the
   * source may be an internal stage in front of the output, which would never drain then).
   */
  waitForDrain(source: EventEmitter): Promise<void> {
    this.throwIfFailed();
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        source.off('drain', onDrain);
        this.out.off('error', onFailure);
        this.out.off('close', onFailure);
        if (source !== this.out) {
          source.off('error', onFailure);
          source.off('close', onFailure);
        }
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      // The guard's own listeners ran first (registered in the constructor), so `failure` is set.
      const onFailure = (error?: Error): void => {
        cleanup();
        reject(this.failure ?? error ?? new Error('export output stream closed'));
      };
      source.on('drain', onDrain);
      this.out.on('error', onFailure);
      this.out.on('close', onFailure);
      if (source !== this.out) {
        source.on('error', onFailure);
        source.on('close', onFailure);
      }
    });
  }

  /** Resolves when the output has flushed everything and (if it emits one) fired 'close'. */
  async finished(): Promise<void> {
    this.throwIfFailed();
    await finished(this.out);
    this.throwIfFailed();
  }

  /** Destroys the output (no error event) and waits until it has closed; never throws. */
  async destroy(): Promise<void> {
    if (typeof this.out.destroy === 'function') {
      this.out.destroy();
      // finished() rejects with a premature-close error here, which is exactly what abort means.
      await finished(this.out).catch(() => undefined);
    } else {
      this.out.end();
    }
  }
}
