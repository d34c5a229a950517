/**
 * Entry point of a preview thread (started by inline-work.ts): previews one file and posts the
 * result, or the error as data. The API's event loop never parses a file itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { previewFile } from '../pipeline/preview.js';
import { serializeError } from '../pipeline/thread-protocol.js';
import type { PreviewJob, PreviewReply } from './inline-work.js';
import { lowerThreadPriority } from './thread-priority.js';

async function run(port: NonNullable<typeof parentPort>, job: PreviewJob): Promise<void> {
  lowerThreadPriority();
  let reply: PreviewReply;
  try {
    reply = { ok: true, preview: await previewFile(job.path, job.options) };
  } catch (err) {
    reply = { ok: false, error: serializeError(err) };
  }
  port.postMessage(reply);
}

if (parentPort) void run(parentPort, workerData as PreviewJob);
