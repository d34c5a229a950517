/**
 * Entry point of a preview thread (started by inline-work.ts): previews each file it is sent and posts the
 * result, or the error as data. The API's event loop never parses a file itself.
 */
import { parentPort } from 'node:worker_threads';
import { previewFile } from '../pipeline/preview.js';
import { serializeError } from '../pipeline/thread-protocol.js';
import type { PreviewJob, PreviewReply } from './inline-work.js';
import { lowerThreadPriority } from './thread-priority.js';

async function run(port: NonNullable<typeof parentPort>, job: PreviewJob): Promise<void> {
  let reply: PreviewReply;
  try {
    reply = { ok: true, preview: await previewFile(job.path, job.options) };
  } catch (err) {
    reply = { ok: false, error: serializeError(err) };
  }
  port.postMessage(reply);
}

// One job per message; the thread is kept for the next one unless the API terminates it.
if (parentPort) {
  const port = parentPort;
  lowerThreadPriority();
  port.on('message', (job: PreviewJob) => void run(port, job));
}
