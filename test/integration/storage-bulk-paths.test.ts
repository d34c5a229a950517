import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, StaleAttemptError, type Database, type DatabaseOptions } from '../../src/storage/index.js';
import { createIsolatedDatabase, sampleFileRecord, type DatabaseKind, type IsolatedDatabase } from '../support/databases.js';
import type { CleanRecord, ExceptionRecord } from '../../src/domain/index.js';

/**
 * Every bulk path of result rows, one by one, under the same fencing and exactly-once rules: rows
 * of the current attempt are stored once (a repeated or overlapping batch adds only what is new),
 * a stale attempt — taken over, cancelled, released to the queue — writes nothing.
 */

interface Warning {
  details: object;
  message?: string;
}

interface BulkPath {
  name: string;
  kind: DatabaseKind;
  options: DatabaseOptions;
  /** Whether the MySQL LOAD DATA fallback must have been logged. */
  expectsFallbackWarning?: boolean;
  /** An in-memory SQLite database instead of a file. */
  memory?: boolean;
  /** Wait for the SQLite writer thread, so that every batch goes through it. */
  prepared?: boolean;
}

const PATHS: BulkPath[] = [
  { name: 'SQLite, writer thread', kind: 'sqlite', options: {}, prepared: true },
  // Batches before the thread is ready are written on the calling connection, the rest on the thread.
  { name: 'SQLite, writer thread starting', kind: 'sqlite', options: {} },
  { name: 'SQLite, calling thread', kind: 'sqlite', options: { sqliteWriterThread: false, sqliteRowsPerStatement: 7 } },
  { name: 'SQLite in memory', kind: 'sqlite', options: {}, memory: true },
  { name: 'PostgreSQL COPY (and INSERT … ON CONFLICT for repeats)', kind: 'postgres', options: {} },
  { name: 'MySQL LOAD DATA LOCAL INFILE', kind: 'mysql', options: {} },
  { name: 'MySQL multi-row INSERT (LOAD DATA off)', kind: 'mysql', options: { mysqlLocalInfile: false, batchSize: 7 } },
  {
    name: 'MySQL, server refuses LOAD DATA LOCAL → INSERT',
    kind: 'mysql',
    options: { mysqlClientFlags: ['-LOCAL_FILES'] },
    expectsFallbackWarning: true,
  },
];

function clean(from: number, to: number, tag = 'c'): CleanRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    sheetIndex: 0,
    rowNumber: from + i,
    values: [`${tag}${from + i}`, 'tab\there', 'line\nbreak', '反斜杠\\N'],
  }));
}

function exceptions(from: number, to: number): ExceptionRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    sheetIndex: 1,
    rowNumber: from + i,
    values: [`x${from + i}`, '12345'],
    errors: [{ field: '手机', value: '12345', errorType: 'INVALID_PHONE' as const, message: '手机号格式不正确' }],
  }));
}

describe.each(PATHS)('$name', (path) => {
  let scratch: IsolatedDatabase | undefined;
  let db: Database;
  const warnings: Warning[] = [];

  beforeAll(async () => {
    scratch = path.memory ? undefined : await createIsolatedDatabase(path.kind);
    const logger = { info: () => undefined, warn: (details: object, message?: string) => warnings.push({ details, message }) };
    db = createDatabase(scratch?.url ?? 'sqlite::memory:', { ...path.options, logger });
    await db.migrate();
    if (path.prepared) await db.prepareWrites();
  });

  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  async function jobInAttempt(token: string): Promise<string> {
    const record = await db.createFileRecord(sampleFileRecord());
    await db.startAttempt(record.jobId, token);
    return record.jobId;
  }

  it('stores each row exactly once: a repeated batch adds nothing, an overlapping one only its new rows', async () => {
    const jobId = await jobInAttempt('a');
    expect(await db.insertBatch(jobId, 'a', clean(2, 40), exceptions(2, 6))).toEqual({ cleanRows: 39, exceptionRows: 5 });
    expect(await db.insertBatch(jobId, 'a', clean(2, 40), exceptions(2, 6))).toEqual({ cleanRows: 0, exceptionRows: 0 });
    expect(await db.insertBatch(jobId, 'a', clean(30, 60), exceptions(5, 8))).toEqual({ cleanRows: 20, exceptionRows: 2 });
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 59, exceptionRows: 7 });
    const { rows } = await db.cleanRows(jobId, { page: 1, pageSize: 100 });
    expect(rows).toEqual(clean(2, 60));
    const stored = await db.exceptionRows(jobId, { page: 1, pageSize: 100 });
    expect(stored.rows.map((r) => r.rowNumber)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(stored.rows[0].errors).toEqual(exceptions(2, 2)[0].errors);
  });

  it('a stale attempt writes nothing: after a takeover, a cancel and a hand-back to the queue', async () => {
    const jobId = await jobInAttempt('first');
    await db.insertBatch(jobId, 'first', clean(2, 10), []);
    await db.startAttempt(jobId, 'second');
    await expect(db.insertBatch(jobId, 'first', clean(11, 20), exceptions(2, 3))).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });

    expect(await db.insertBatch(jobId, 'second', clean(2, 5), [])).toEqual({ cleanRows: 4, exceptionRows: 0 });
    await db.updateFileRecord(jobId, { status: 'pending' });
    await expect(db.insertBatch(jobId, 'second', clean(6, 9), [])).rejects.toBeInstanceOf(StaleAttemptError);

    await db.startAttempt(jobId, 'third');
    await db.endAttempt(jobId, null, 'cancelled', null, null);
    await expect(db.insertBatch(jobId, 'third', clean(2, 3), [])).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
  });

  it('concurrent batches of two attempts: only the current attempt’s rows remain, each once', async () => {
    const jobId = await jobInAttempt('old');
    const writes = Array.from({ length: 6 }, (_, i) => db.insertBatch(jobId, 'old', clean(2 + i * 10, 11 + i * 10, 'old'), []).catch((err: unknown) => err));
    await db.startAttempt(jobId, 'new');
    const results = await Promise.all(writes);
    for (const result of results) if (result instanceof Error) expect(result).toBeInstanceOf(StaleAttemptError);
    await db.insertBatch(jobId, 'new', clean(2, 61, 'new'), []);
    await db.completeAttempt(jobId, 'new', {
      totalRows: 60,
      cleanedRows: 60,
      exceptionRows: 0,
      processingTimeMs: 1,
      statistics: { totalRows: 60, cleanedRows: 60, exceptionRows: 0, errorsByType: {}, errorsByField: {}, processingTimeMs: 1, format: 'csv', sheets: [] },
      layout: [],
    });
    expect((await db.cleanRows(jobId, { page: 1, pageSize: 100 })).rows).toEqual(clean(2, 61, 'new'));
  });

  it(path.expectsFallbackWarning ? 'logs the LOAD DATA refusal once, with the server’s reason' : 'logs no fallback', () => {
    const fallbacks = warnings.filter((w) => w.message?.includes('LOAD DATA'));
    if (path.expectsFallbackWarning) {
      expect(fallbacks).toHaveLength(1);
      expect(fallbacks[0].details).toMatchObject({ dialect: 'mysql', reason: expect.any(String) });
    } else {
      expect(fallbacks).toEqual([]);
    }
  });
});
