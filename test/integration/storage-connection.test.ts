import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { createDatabase, Database, parseDatabaseUrl } from '../../src/storage/index.js';
import { createIsolatedDatabase, sampleFileRecord, testDatabaseUrl, withMysql, withPostgres, type IsolatedDatabase } from '../support/databases.js';
import type { CleanRecord } from '../../src/domain/index.js';

const STORAGE_MODULE = fileURLToPath(new URL('../../src/storage/index.ts', import.meta.url));

/** Codes a caller (the queue's error classifier) treats as "connection lost, try again". */
const CONNECTION_LOST_CODES = ['57P01', 'ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_CONNECTION_KILLED', 'ER_QUERY_INTERRUPTED'];

function rows(count: number, firstRow = 2): CleanRecord[] {
  return Array.from({ length: count }, (_, i) => ({ sheetIndex: 0, rowNumber: firstRow + i, values: [`r${firstRow + i}`] }));
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** A lost connection surfaces with the driver's code, or with pg's own "terminated" message. */
function expectConnectionLost(err: Error & { code?: string }): void {
  const recognised = (err.code !== undefined && CONNECTION_LOST_CODES.includes(err.code)) || /Connection terminated/i.test(err.message);
  expect(recognised, `${err.code ?? ''} ${err.message}`).toBe(true);
}

describe('DATABASE_URL parsing', () => {
  it('recognises every supported form and rejects the rest', () => {
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', file: ':memory:' });
    expect(parseDatabaseUrl('sqlite:/var/lib/dcs/db.sqlite')).toEqual({ dialect: 'sqlite', file: '/var/lib/dcs/db.sqlite' });
    expect(parseDatabaseUrl('sqlite:///var/lib/dcs/db.sqlite')).toEqual({ dialect: 'sqlite', file: '/var/lib/dcs/db.sqlite' });
    expect(parseDatabaseUrl('sqlite:data/db.sqlite')).toEqual({ dialect: 'sqlite', file: `${process.cwd()}/data/db.sqlite` });
    expect(parseDatabaseUrl('postgres://u:p@h:5432/d').dialect).toBe('postgres');
    expect(parseDatabaseUrl('postgresql://u@h/d').dialect).toBe('postgres');
    expect(parseDatabaseUrl('mysql://root@h:3306/d')).toEqual({ dialect: 'mysql', url: 'mysql://root@h:3306/d' });
    expect(parseDatabaseUrl('mariadb://root@h:3306/d')).toEqual({ dialect: 'mysql', url: 'mysql://root@h:3306/d' });
    for (const bad of ['sqlite:', 'mongodb://h/d', 'postgres:/h', 'd.sqlite', '']) {
      let code: string | undefined;
      try {
        parseDatabaseUrl(bad);
      } catch (err) {
        code = isAppError(err) ? err.code : 'other';
      }
      expect(code, bad).toBe('INVALID_REQUEST');
    }
  });
});

describe.each([
  { name: 'postgres', url: 'postgres://postgres@127.0.0.1:1/test' },
  { name: 'mysql', url: 'mysql://root@127.0.0.1:1/test' },
])('unreachable $name server', ({ url }) => {
  it('fails with the driver code ECONNREFUSED instead of hanging or hiding it', async () => {
    const db = createDatabase(url, { connectTimeoutMs: 2000 });
    try {
      const err = await rejection(db.ping());
      const codes = [err.code, ...((err as unknown as AggregateError).errors ?? []).map((e: { code?: string }) => e.code)];
      expect(codes).toContain('ECONNREFUSED');
      await expect(db.getFileRecord('x')).rejects.toThrow();
    } finally {
      await db.close();
    }
  });
});

describe('PostgreSQL connection loss', () => {
  let scratch: IsolatedDatabase;
  let db: Database;
  const applicationName = `dcs-test-${randomBytes(4).toString('hex')}`;
  const admin = testDatabaseUrl('postgres');

  beforeAll(async () => {
    scratch = await createIsolatedDatabase('postgres');
    db = createDatabase(scratch.url, { applicationName, poolSize: 3 });
    await db.migrate();
  });

  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  const terminateOurBackends = () =>
    withPostgres(admin, async (client) => {
      const { rowCount } = await client.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]);
      return rowCount ?? 0;
    });

  it('keeps working after the server terminated the pooled connections', async () => {
    const record = await db.createFileRecord(sampleFileRecord());
    await Promise.all([db.ping(), db.ping(), db.ping()]);
    expect(await terminateOurBackends()).toBeGreaterThan(0);

    // Each pooled client learns of its own termination asynchronously, so until the notices arrive a
    // call may still pick a dead client: every one of the pool's 3 clients can fail once, with a
    // retryable code, and no more; then the pool has reconnected.
    let failures = 0;
    for (let i = 0; i < 4; i++) {
      try {
        expect((await db.getFileRecord(record.id))?.jobId).toBe(record.jobId);
      } catch (err) {
        failures++;
        expectConnectionLost(err as Error & { code?: string });
      }
    }
    expect(failures).toBeLessThanOrEqual(3);
    expect((await db.getFileRecord(record.id))?.jobId).toBe(record.jobId);
  });

  it('a batch whose connection is killed mid-transaction fails with a retryable code and can be written again', async () => {
    const record = await db.createFileRecord(sampleFileRecord());
    await db.startAttempt(record.jobId, 't');
    await withPostgres(`${scratch.url}`, async (blocker) => {
      // Hold the record's row lock so that insertBatch waits inside its transaction.
      await blocker.query('begin');
      await blocker.query('select 1 from file_records where job_id = $1 for update', [record.jobId]);
      const write = rejection(db.insertBatch(record.jobId, 't', rows(50), []));
      await expect
        .poll(
          async () =>
            (await blocker.query("select count(*)::int as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'", [applicationName]))
              .rows[0].n,
          { timeout: 10_000 },
        )
        .toBe(1);
      await blocker.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'", [applicationName]);
      expectConnectionLost(await write);
      await blocker.query('rollback');
    });
    expect(await db.countResults(record.jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
    expect(await db.insertBatch(record.jobId, 't', rows(50), [])).toEqual({ cleanRows: 50, exceptionRows: 0 });
    expect(await db.countResults(record.jobId)).toEqual({ cleanRows: 50, exceptionRows: 0 });
  });
});

describe('MySQL connection loss', () => {
  let scratch: IsolatedDatabase;
  let db: Database;
  let schema: string;
  const admin = testDatabaseUrl('mysql');

  beforeAll(async () => {
    scratch = await createIsolatedDatabase('mysql');
    schema = new URL(scratch.url).pathname.slice(1);
    db = createDatabase(scratch.url, { poolSize: 3 });
    await db.migrate();
  });

  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  /** Ids of this test's pooled connections (the only ones using the scratch database), optionally filtered. */
  const ourConnections = (infoLike = '%') =>
    withMysql(admin, async (connection) => {
      const [list] = await connection.query(
        'select id from information_schema.processlist where db = ? and coalesce(info, "") like ? and id <> connection_id()',
        [schema, infoLike],
      );
      return (list as { id: number }[]).map((r) => r.id);
    });

  const kill = (ids: number[]) =>
    withMysql(admin, async (connection) => {
      for (const id of ids) await connection.query(`kill connection ${Number(id)}`);
    });

  it('keeps working after the server killed the pooled connections', async () => {
    const record = await db.createFileRecord(sampleFileRecord());
    await Promise.all([db.ping(), db.ping(), db.ping()]);
    const ids = await ourConnections();
    expect(ids.length).toBeGreaterThan(0);
    await kill(ids);

    let failures = 0;
    for (let i = 0; i < 3; i++) {
      try {
        expect((await db.getFileRecord(record.id))?.jobId).toBe(record.jobId);
      } catch (err) {
        failures++;
        expectConnectionLost(err as Error & { code?: string });
      }
    }
    expect(failures).toBeLessThanOrEqual(3);
    expect((await db.getFileRecord(record.id))?.jobId).toBe(record.jobId);
  });

  it('a batch whose connection is killed mid-transaction fails with a retryable code and can be written again', async () => {
    const record = await db.createFileRecord(sampleFileRecord());
    await db.startAttempt(record.jobId, 't');
    await withMysql(scratch.url, async (blocker) => {
      await blocker.query('begin');
      await blocker.query('select 1 from file_records where job_id = ? for update', [record.jobId]);
      const write = rejection(db.insertBatch(record.jobId, 't', rows(50), []));
      let waiting: number[] = [];
      await expect
        .poll(
          async () => {
            waiting = await ourConnections('select status, attempt_token%from file_records%');
            return waiting.length;
          },
          { timeout: 10_000 },
        )
        .toBe(1);
      await kill(waiting);
      expectConnectionLost(await write);
      await blocker.query('rollback');
    });
    expect(await db.countResults(record.jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
    expect(await db.insertBatch(record.jobId, 't', rows(50), [])).toEqual({ cleanRows: 50, exceptionRows: 0 });
    expect(await db.countResults(record.jobId)).toEqual({ cleanRows: 50, exceptionRows: 0 });
  });
});

describe('SQLite with several processes', () => {
  let scratch: IsolatedDatabase;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase('sqlite');
    const db = createDatabase(scratch.url);
    await db.migrate();
    await db.close();
  });

  afterAll(async () => {
    await scratch.drop();
  });

  /** A worker process writing `batches` batches of 500 rows for its own job, starting at `startAt`. */
  function writerProcess(jobId: string, batches: number, startAt: number): Promise<{ code: number | null; output: string }> {
    const script = `
      const { createDatabase } = await import(process.env.STORAGE_MODULE);
      const db = createDatabase(process.env.DATABASE_URL);
      const jobId = process.env.JOB_ID;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(process.env.START_AT) - Date.now())));
      await db.startAttempt(jobId, 'w');
      for (let b = 0; b < Number(process.env.BATCHES); b++) {
        const clean = Array.from({ length: 500 }, (_, i) => ({ sheetIndex: 0, rowNumber: 2 + b * 500 + i, values: ['x'.repeat(100)] }));
        await db.insertBatch(jobId, 'w', clean, []);
      }
      await db.completeAttempt(jobId, 'w', { totalRows: Number(process.env.BATCHES) * 500, cleanedRows: Number(process.env.BATCHES) * 500, exceptionRows: 0, processingTimeMs: 1, statistics: {}, layout: [] });
      await db.close();
    `;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, DATABASE_URL: scratch.url, STORAGE_MODULE, JOB_ID: jobId, BATCHES: String(batches), START_AT: String(startAt) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  it('two worker processes write the same database file at the same time (WAL, busy timeout)', async () => {
    const db = createDatabase(scratch.url);
    try {
      const jobs = [sampleFileRecord(), sampleFileRecord()];
      for (const job of jobs) await db.createFileRecord(job);
      const startAt = Date.now() + 5000;
      const results = await Promise.all(jobs.map((job) => writerProcess(job.jobId, 40, startAt)));
      for (const result of results) expect(result, result.output).toMatchObject({ code: 0 });
      for (const job of jobs) {
        expect(await db.countResults(job.jobId)).toEqual({ cleanRows: 20_000, exceptionRows: 0 });
        expect((await db.getFileRecordByJobId(job.jobId))?.status).toBe('completed');
      }
    } finally {
      await db.close();
    }
  });

  it('a write that cannot get the lock in time fails with SQLITE_BUSY', async () => {
    const db = createDatabase(scratch.url, { sqliteBusyTimeoutMs: 200 });
    const other = new BetterSqlite3(parseDatabaseUrl(scratch.url).dialect === 'sqlite' ? scratch.url.slice('sqlite:'.length) : '');
    try {
      const record = await db.createFileRecord(sampleFileRecord());
      other.exec('begin immediate');
      const err = await rejection(db.startAttempt(record.jobId, 't'));
      expect(err.code).toMatch(/^SQLITE_BUSY/);
      other.exec('rollback');
      await db.startAttempt(record.jobId, 't');
      expect((await db.getFileRecordByJobId(record.jobId))?.status).toBe('processing');
    } finally {
      other.close();
      await db.close();
    }
  });
});
