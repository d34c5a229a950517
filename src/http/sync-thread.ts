/**
 * Entry point of a sync-upload thread (started by inline-work.ts): runs each task it is sent through the
 * pipeline with its own database connection and file store, at a low priority, and posts the
 * statistics or the error as data. The API terminates it on a timeout or when the client leaves.
 */
import { parentPort } from 'node:worker_threads';
import { runJob } from '../pipeline/run-job.js';
import { serializeError } from '../pipeline/thread-protocol.js';
import { classifyError } from '../queue/error-handler.js';
import { createDatabase, type Database } from '../storage/index.js';
import type { SyncJob, SyncReply } from './inline-work.js';
import { lowerThreadPriority } from './thread-priority.js';

/** This thread's database connection, opened by its first job and kept with the thread. */
let connection: { url: string; db: Database } | undefined;

function database(url: string): Database {
  if (connection?.url !== url) {
    void connection?.db.close().catch(() => undefined);
    connection = { url, db: createDatabase(url) };
  }
  return connection.db;
}

async function run(port: NonNullable<typeof parentPort>, job: SyncJob): Promise<void> {
  const db = database(job.databaseUrl);
  let reply: SyncReply;
  try {
    // The API's local copy of the upload: the thread needs no file store of its own.
    const fileStore = { localFile: async () => ({ path: job.path, release: async () => undefined }) };
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
  }
  port.postMessage(reply);
}

// One job per message; the thread is kept for the next one unless the API terminates it.
if (parentPort) {
  const port = parentPort;
  lowerThreadPriority();
  port.on('message', (job: SyncJob) => void run(port, job));
}
