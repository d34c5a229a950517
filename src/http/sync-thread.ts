/**
 * Entry point of a sync-upload thread (started by inline-work.ts): runs the task through the
 * pipeline with its own database connection and file store, at a low priority, and posts the
 * statistics or the error as data. The API terminates it on a timeout or when the client leaves.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runJob } from '../pipeline/run-job.js';
import { serializeError } from '../pipeline/thread-protocol.js';
import { classifyError } from '../queue/error-handler.js';
import { createDatabase, createFileStore } from '../storage/index.js';
import type { SyncJob, SyncReply } from './inline-work.js';
import { lowerThreadPriority } from './thread-priority.js';

async function run(port: NonNullable<typeof parentPort>, job: SyncJob): Promise<void> {
  lowerThreadPriority();
  const db = createDatabase(job.databaseUrl);
  let reply: SyncReply;
  try {
    const fileStore = await createFileStore(job.fileStore);
    const statistics = await runJob({
      db,
      fileStore,
      jobId: job.jobId,
      token: job.token,
      ...job.options,
      threads: 0, // this thread is already off the API's event loop
      isTransient: (err) => classifyError(err).kind === 'retryable',
    });
    reply = { ok: true, statistics };
  } catch (err) {
    reply = { ok: false, error: serializeError(err) };
  } finally {
    await db.close().catch(() => undefined);
  }
  port.postMessage(reply);
}

if (parentPort) void run(parentPort, workerData as SyncJob);
