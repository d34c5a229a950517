import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { parseDatabaseUrl } from '../../src/storage/connection.js';
import { openAdapter } from '../../src/storage/dialects/index.js';
import { createDatabase, StaleAttemptError, type Database } from '../../src/storage/index.js';
import { storageMigrations } from '../../src/storage/migrations.js';
import { createIsolatedDatabase, testDatabases, type IsolatedDatabase } from '../support/databases.js';

/**
 * Migration 0002 (narrow result rows) on a database that holds data in the 0001 schema: records in
 * every situation an upgrade can meet, result rows of live, stale and deleted attempts. After the
 * upgrade the product must read the same data, keep fencing the old tokens, and clean up as before.
 */

const T0 = new Date('2024-05-01T10:00:00.000Z');

interface OldRecord {
  id: string;
  jobId: string;
  status: string;
  attempts: number;
  token: string | null;
  cleaned?: number;
  exceptions?: number;
  cleanFilePath?: string;
}

const RECORDS: OldRecord[] = [
  { id: 'f-done', jobId: 'j-done', status: 'completed', attempts: 1, token: 'ta', cleaned: 3, exceptions: 1, cleanFilePath: 'exports/j-done/clean.csv' },
  { id: 'f-busy', jobId: 'j-busy', status: 'processing', attempts: 2, token: 'tb2' },
  { id: 'f-fail', jobId: 'j-fail', status: 'failed', attempts: 1, token: 'tc' },
];

/** Old-schema rows: [jobId, token, row number]. Rows of 'j-gone' have no record any more. */
const CLEAN_ROWS: [string, string, number][] = [
  ['j-done', 'ta', 2],
  ['j-done', 'ta', 3],
  ['j-done', 'ta', 4],
  ['j-busy', 'tb1', 2],
  ['j-busy', 'tb1', 3],
  ['j-busy', 'tb2', 4],
  ['j-busy', 'tb2', 5],
  ['j-fail', 'tc', 2],
  ['j-gone', 'tx', 2],
];

const values = (jobId: string, row: number) => [`${jobId}-${row}`, '13800000000', '江苏省', 'tab\there', 'line\nbreak', '引号"\\'];

/** Creates the 0001 schema and fills it with RECORDS and CLEAN_ROWS, as the previous release would have. */
async function seedOldSchema(url: string): Promise<void> {
  const adapter = openAdapter(parseDatabaseUrl(url), {
    batchSize: 1000,
    poolSize: 2,
    applicationName: 'migration-test',
    connectTimeoutMs: 10_000,
    sqliteBusyTimeoutMs: 5000,
    sqliteWriterThread: false,
    sqliteRowsPerStatement: 100,
    mysqlLocalInfile: false,
    mysqlClientFlags: [],
    logger: undefined,
  });
  try {
    await adapter.migrate(async (db, migrationTableSchema) => {
      const all = storageMigrations(adapter.dialect);
      const provider = { getMigrations: async () => ({ '0001_initial_schema': all['0001_initial_schema'] }) };
      const { error } = await new Migrator({ db, provider, migrationTableSchema }).migrateToLatest();
      if (error) throw error;
      return [];
    });
    const at = adapter.time(T0);
    const db = adapter.kysely;
    for (const r of RECORDS) {
      await sql`insert into file_records (id, job_id, original_name, size, file_type, mime_type, status, storage_key, uploaded_at, total_rows, cleaned_rows,
                  exception_rows, attempts, attempt_token, clean_file_path, updated_at, started_at, completed_at, error_code)
                values (${r.id}, ${r.jobId}, ${`${r.id}.csv`}, ${100}, ${'csv'}, ${'text/csv'}, ${r.status}, ${`uploads/${r.id}`}, ${at},
                  ${(r.cleaned ?? 0) + (r.exceptions ?? 0)}, ${r.cleaned ?? 0}, ${r.exceptions ?? 0}, ${r.attempts}, ${r.token}, ${r.cleanFilePath ?? null},
                  ${at}, ${at}, ${r.status === 'processing' ? null : at}, ${r.status === 'failed' ? 'X' : null})`.execute(db);
    }
    for (const [jobId, token, row] of CLEAN_ROWS) {
      await sql`insert into clean_data (job_id, attempt_token, sheet_index, ${sql.ref('row_number')}, data)
                values (${jobId}, ${token}, ${0}, ${row}, ${JSON.stringify(values(jobId, row))})`.execute(db);
    }
    const errors = [{ field: '手机', value: '123', errorType: 'INVALID_PHONE', message: '手机号格式不正确' }];
    await sql`insert into error_logs (job_id, attempt_token, sheet_index, ${sql.ref('row_number')}, data, errors, message)
              values (${'j-done'}, ${'ta'}, ${0}, ${5}, ${JSON.stringify(['x', '123'])}, ${JSON.stringify(errors)}, ${'手机: 手机号格式不正确'})`.execute(db);
  } finally {
    await adapter.close();
  }
}

async function all<T>(chunks: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of chunks) out.push(...chunk);
  return out;
}

describe.each(testDatabases())('migration 0002 with existing data on $name', ({ name }) => {
  let scratch: IsolatedDatabase;
  let db: Database;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(name);
    await seedOldSchema(scratch.url);
    db = createDatabase(scratch.url, { deleteChunkSize: 2 });
    expect(await db.migrate()).toEqual(['0002_narrow_result_rows']);
  });

  afterAll(async () => {
    await db?.close();
    await scratch.drop();
  });

  it('keeps every record with its fields; the new upload options are empty', async () => {
    const done = await db.getFileRecordByJobId('j-done');
    expect(done).toMatchObject({ id: 'f-done', status: 'completed', attempts: 1, attemptToken: 'ta', cleanedRows: 3, exceptionRows: 1, uploadedAt: T0 });
    expect(done).toMatchObject({ encoding: null, delimiter: null, dedupe: null });
    expect(done).not.toHaveProperty('cleanFilePath');
    expect((await db.listFileRecords({ page: 1, pageSize: 10 })).total).toBe(3);
  });

  it('reads the completed job’s rows unchanged, in order, by page and by stream', async () => {
    const page = await db.cleanRows('j-done', { page: 1, pageSize: 10 });
    expect(page.total).toBe(3);
    expect(page.rows).toEqual([2, 3, 4].map((row) => ({ sheetIndex: 0, rowNumber: row, values: values('j-done', row) })));
    expect(await all(db.streamCleanRows('j-done', 2))).toEqual(page.rows);
    const exceptions = await db.exceptionRows('j-done', { page: 1, pageSize: 10 });
    expect(exceptions.rows).toEqual([
      {
        sheetIndex: 0,
        rowNumber: 5,
        values: ['x', '123'],
        errors: [{ field: '手机', value: '123', errorType: 'INVALID_PHONE', message: '手机号格式不正确' }],
        reason: '手机: 手机号格式不正确',
      },
    ]);
  });

  it('drops rows whose record was gone; keeps the rows of the other jobs', async () => {
    expect(await db.countResults('j-busy')).toEqual({ cleanRows: 4, exceptionRows: 0 });
    expect(await db.countResults('j-fail')).toEqual({ cleanRows: 1, exceptionRows: 0 });
    expect(await db.countResults('j-gone')).toEqual({ cleanRows: 0, exceptionRows: 0 });
  });

  it('keeps fencing: an old stale token writes nothing, the current one still writes', async () => {
    const stale = await db.insertBatch('j-busy', 'tb1', [{ sheetIndex: 0, rowNumber: 9, values: ['x'] }], []).catch((err: unknown) => err);
    expect(stale).toBeInstanceOf(StaleAttemptError);
    expect(await db.insertBatch('j-busy', 'tb2', [{ sheetIndex: 0, rowNumber: 6, values: ['y'] }], [])).toEqual({ cleanRows: 1, exceptionRows: 0 });
    expect(await db.countResults('j-busy')).toEqual({ cleanRows: 5, exceptionRows: 0 });
  });

  it('a new attempt removes every row of the earlier attempts and completes with its own', async () => {
    await db.startAttempt('j-busy', 'tb3');
    expect(await db.countResults('j-busy')).toEqual({ cleanRows: 0, exceptionRows: 0 });
    const rows = [2, 3].map((row) => ({ sheetIndex: 0, rowNumber: row, values: values('j-busy', row) }));
    await db.insertBatch('j-busy', 'tb3', rows, []);
    await db.completeAttempt('j-busy', 'tb3', {
      totalRows: 2,
      cleanedRows: 2,
      exceptionRows: 0,
      processingTimeMs: 1,
      statistics: { totalRows: 2, cleanedRows: 2, exceptionRows: 0, errorsByType: {}, errorsByField: {}, processingTimeMs: 1, format: 'csv', sheets: [] },
      layout: [],
    });
    expect((await db.cleanRows('j-busy', { page: 1, pageSize: 10 })).rows).toEqual(rows);
  });

  it('a manual retry of the failed job removes its leftovers', async () => {
    await db.resetForRetry('j-fail');
    expect(await db.countResults('j-fail')).toEqual({ cleanRows: 0, exceptionRows: 0 });
  });

  it('new uploads get keys of their own: their rows never mix with the migrated ones', async () => {
    const created = await db.createFileRecord({
      id: 'f-new',
      jobId: 'j-new',
      originalName: 'new.csv',
      size: 1,
      fileType: 'csv',
      mimeType: 'text/csv',
      storageKey: 'uploads/f-new',
      dedupe: 'exact',
    });
    expect(created.dedupe).toBe('exact');
    await db.startAttempt('j-new', 'tn');
    await db.insertBatch('j-new', 'tn', [{ sheetIndex: 0, rowNumber: 2, values: ['new'] }], []);
    expect(await db.countResults('j-new')).toEqual({ cleanRows: 1, exceptionRows: 0 });
    expect((await db.cleanRows('j-done', { page: 1, pageSize: 10 })).total).toBe(3);
    const removed = await db.deleteFileRecord('j-done');
    expect(removed).toEqual({ jobId: 'j-done', fileId: 'f-done', storageKey: 'uploads/f-done' });
    expect(await db.countResults('j-new')).toEqual({ cleanRows: 1, exceptionRows: 0 });
    const err = await db.cleanRows('j-done', { page: 1, pageSize: 1 }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('JOB_NOT_FOUND');
  });
});
