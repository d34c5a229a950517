/**
 * A job processed again while an earlier attempt (or a cancel) is still removing old rows must
 * end with exactly one set of rows, as the API shows it (SPEC R11: "the database holds exactly that
 * many clean_data + error_logs rows for the job, even after retries and crash recovery").
 *
 * The storage layer changes a job's status/token in one transaction and removes leftover rows in
 * later, separate statements. Here a second database client (another worker process) is stopped by
 * a TCP proxy right after its status transaction commits; the new attempt then runs to completion;
 * then the old client's cleanup goes on. It must not remove the new attempt's rows.
 *
 * PostgreSQL and MySQL only: the proxy needs a network connection; an embedded SQLite client in
 * the same process cannot be stopped between two statements from outside.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type AttemptResult, type Database } from '../../src/storage/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import { call } from '../support/http-client.js';
import { TcpGate } from '../support/tcp-gate.js';
import type { CleanRecord, SheetLayout } from '../../src/domain/index.js';

const STALE_ROWS = 300;
const NEW_ROWS = 5;
const LAYOUT: SheetLayout[] = [{ name: 'Sheet1', index: 0, headers: ['姓名'], types: ['text'], cleanColumns: ['姓名'] }];
const RESULT: AttemptResult = {
  totalRows: NEW_ROWS,
  cleanedRows: NEW_ROWS,
  exceptionRows: 0,
  processingTimeMs: 1,
  statistics: {
    totalRows: NEW_ROWS,
    cleanedRows: NEW_ROWS,
    exceptionRows: 0,
    errorsByType: {},
    errorsByField: {},
    processingTimeMs: 1,
    format: 'csv',
    sheets: [],
  },
  layout: LAYOUT,
};

function cleanRows(count: number, prefix: string): CleanRecord[] {
  return Array.from({ length: count }, (_v, i) => ({ sheetIndex: 0, rowNumber: i + 2, values: [`${prefix}${i}`] }));
}

const serverDatabases = testDatabases().filter((d) => d.name !== 'sqlite');

describe.each(serverDatabases)('reprocessing while old rows are being removed, on $name', ({ name }) => {
  let scratch: IsolatedDatabase;
  let app: TestApp;
  let gate: TcpGate;
  /** Another worker process's connection pool, reaching the server through the gate. */
  let other: Database;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(name);
    app = await startTestApp({ databaseUrl: scratch.url });
    const server = new URL(scratch.url);
    gate = await TcpGate.start(server.hostname, Number(server.port || (name === 'postgres' ? 5432 : 3306)));
    other = createDatabase(gate.rewrite(scratch.url));
  });

  afterAll(async () => {
    gate?.release();
    await other?.close();
    await gate?.close();
    await app?.close();
    await scratch?.drop();
  });

  /** A job in `processing` whose attempt X stored rows and then died. */
  async function crashedJob(): Promise<string> {
    const jobId = randomUUID();
    await app.db.createFileRecord({
      id: randomUUID(),
      jobId,
      originalName: 'a.csv',
      size: 1,
      fileType: 'csv',
      mimeType: 'text/csv',
      storageKey: `uploads/${randomUUID()}`,
    });
    await app.db.startAttempt(jobId, 'attempt-x');
    await app.db.insertBatch(jobId, 'attempt-x', cleanRows(STALE_ROWS, 'x'), []);
    return jobId;
  }

  /** Attempt B runs to completion (the API's database client, not held). */
  async function completeAttemptB(jobId: string): Promise<void> {
    await app.db.startAttempt(jobId, 'attempt-b');
    await app.db.insertBatch(jobId, 'attempt-b', cleanRows(NEW_ROWS, 'b'), []);
    await app.db.completeAttempt(jobId, 'attempt-b', RESULT);
  }

  async function expectOnlyAttemptB(jobId: string): Promise<void> {
    expect(await app.db.countResults(jobId)).toEqual({ cleanRows: NEW_ROWS, exceptionRows: 0 });
    const view = await call<{ status: string; totalRows: number }>(app.baseUrl, `/api/data-cleaning/check-status/${jobId}`);
    expect(view.body).toMatchObject({ status: 'completed', totalRows: NEW_ROWS });
    const page = await call<{ total: number; data: { values: Record<string, string> }[] }>(app.baseUrl, `/api/data-cleaning/data/clean/${jobId}?pageSize=100`);
    expect(page.body.total).toBe(NEW_ROWS);
    expect(page.body.data.map((r) => r.values.姓名)).toEqual(cleanRows(NEW_ROWS, 'b').map((r) => r.values[0]));
  }

  it('a takeover’s rows survive the cleanup of the attempt it superseded', async () => {
    const jobId = await crashedJob();
    // Attempt A takes the job over; its status transaction commits, its cleanup is held…
    gate.holdAfter('commit');
    const attemptA = other.startAttempt(jobId, 'attempt-a');
    await gate.whenHolding();
    expect((await app.db.getFileRecordByJobId(jobId))?.attemptToken).toBe('attempt-a');
    // …while attempt B supersedes A and completes; then A's cleanup goes on.
    await completeAttemptB(jobId);
    gate.release();
    await attemptA;
    await expectOnlyAttemptB(jobId);
  });

  it('a retried job’s rows survive the cleanup of the cancel before it', async () => {
    const jobId = await crashedJob();
    // A cancel commits; its removal of the job's rows is held…
    gate.holdAfter('commit');
    const cancel = other.endAttempt(jobId, null, 'cancelled', 'CANCELLED', '任务已被用户取消');
    await gate.whenHolding();
    expect((await app.db.getFileRecordByJobId(jobId))?.status).toBe('cancelled');
    // …while the user retries and the new attempt completes; then the cancel's cleanup goes on.
    await app.db.resetForRetry(jobId);
    await completeAttemptB(jobId);
    gate.release();
    await cancel;
    await expectOnlyAttemptB(jobId);
  });
});
