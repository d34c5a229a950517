/**
 * The SQLite writer thread: its own better-sqlite3 connection to the database file, running the
 * fenced bulk path (sqlite-rows.ts) for each batch it is sent. better-sqlite3 is synchronous, so
 * on the main thread a batch would block the event loop for its whole transaction; here only this
 * thread waits. Replies carry the counts, a stale attempt, or the driver's error (with its code).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { requireCurrentAttempt } from '../attempt-fence.js';
import { isStaleAttemptError } from '../errors.js';
import { openSqliteFile } from './sqlite-open.js';
import { SqliteRowWriter } from './sqlite-rows.js';
import type { WriterReply, WriterRequest, WriterStart } from './sqlite-writer.js';

const start = workerData as WriterStart;
const sqlite = openSqliteFile(start.file, start.busyTimeoutMs);
const writer = new SqliteRowWriter(sqlite, start.rowsPerStatement);
const port = parentPort!;

port.on('message', ({ id, rows }: WriterRequest) => {
  let reply: WriterReply;
  try {
    reply = { id, counts: writer.write(rows, (row) => requireCurrentAttempt(rows.jobId, rows.token, row)) };
  } catch (err) {
    if (isStaleAttemptError(err)) {
      reply = { id, stale: { jobId: err.jobId, token: err.attemptToken, status: err.currentStatus } };
    } else {
      const { message, code } = err as Error & { code?: string };
      reply = { id, error: { message: String(message), code } };
    }
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies WriterReply);
