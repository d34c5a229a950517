/**
 * Entry point of the cleaning thread (started by clean-source.ts): runs cleanTable() on the file
 * and posts every event to the writer, at most `maxBatchesInFlight` batches ahead of it. Errors
 * are posted as data; the writer terminates the thread when it is done or gives up.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { packEvent, serializeError, type ThreadMessage, type ThreadStart, type WriterMessage } from './thread-protocol.js';
import { cleanTable } from './table-cleaner.js';

/** Counts the batches the writer has not released yet; wait() resolves once one more may go. */
class Credit {
  private available: number;
  private wake?: () => void;

  constructor(limit: number) {
    this.available = limit;
  }

  release(): void {
    this.available++;
    this.wake?.();
    this.wake = undefined;
  }

  async take(): Promise<void> {
    while (this.available === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    this.available--;
  }
}

async function run(port: NonNullable<typeof parentPort>, start: ThreadStart): Promise<void> {
  const credit = new Credit(start.maxBatchesInFlight);
  port.on('message', (message: WriterMessage) => {
    if (message.kind === 'release') credit.release();
  });
  // A packed batch's numbers are handed over, not copied.
  const post = (message: ThreadMessage) => port.postMessage(message, message.kind === 'packed-batch' ? [message.numbers.buffer] : []);
  try {
    for await (const event of cleanTable(start.path, start.options)) {
      if (event.kind === 'batch') await credit.take();
      post(packEvent(event));
    }
  } catch (err) {
    post({ kind: 'error', error: serializeError(err) });
  }
}

if (parentPort) void run(parentPort, workerData as ThreadStart);
