import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { createDatabase, Database, StaleAttemptError, type AttemptResult, type StoredException } from '../../src/storage/index.js';
import { createIsolatedDatabase, sampleFileRecord, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import type { CleanRecord, ExceptionRecord, FieldError, ProcessStatistics } from '../../src/domain/index.js';

function cleanRecords(count: number, options: { sheet?: number; firstRow?: number; tag?: string } = {}): CleanRecord[] {
  const { sheet = 0, firstRow = 2, tag = 'v' } = options;
  return Array.from({ length: count }, (_, i) => ({
    sheetIndex: sheet,
    rowNumber: firstRow + i,
    values: [`${tag}-${sheet}-${firstRow + i}`, `138${String(i).padStart(8, '0')}`, '江苏省', '南京市', '玄武区', `中山路${i}号`],
  }));
}

function phoneError(value: string): FieldError {
  return { field: '手机', value, errorType: 'INVALID_PHONE', message: `手机号格式不正确：${value}` };
}

function exceptionRecords(count: number, options: { sheet?: number; firstRow?: number; tag?: string } = {}): ExceptionRecord[] {
  const { sheet = 0, firstRow = 2, tag = 'x' } = options;
  return Array.from({ length: count }, (_, i) => ({
    sheetIndex: sheet,
    rowNumber: firstRow + i,
    values: [`${tag}-${sheet}-${firstRow + i}`, '12345', '火星'],
    errors: [phoneError('12345'), { field: '地址', value: '火星', errorType: 'INVALID_ADDRESS', message: '无法识别省份' }],
  }));
}

function statistics(total: number, cleaned: number): ProcessStatistics {
  return {
    totalRows: total,
    cleanedRows: cleaned,
    exceptionRows: total - cleaned,
    errorsByType: {},
    errorsByField: {},
    processingTimeMs: 5,
    format: 'csv',
    sheets: [],
  };
}

function result(cleanedRows: number, exceptionRows: number): AttemptResult {
  const totalRows = cleanedRows + exceptionRows;
  return { totalRows, cleanedRows, exceptionRows, processingTimeMs: 42, statistics: statistics(totalRows, cleanedRows), layout: [] };
}

async function collect<T>(chunks: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const chunk of chunks) all.push(...chunk);
  return all;
}

function byPosition(a: { sheetIndex: number; rowNumber: number }, b: { sheetIndex: number; rowNumber: number }): number {
  return a.sheetIndex - b.sheetIndex || a.rowNumber - b.rowNumber;
}

/** `gc()` for memory checks: exposed at run time, no command-line flag needed. */
function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe.each(testDatabases())('results on $name', ({ name }) => {
  let scratch: IsolatedDatabase;
  let db: Database;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(name);
    db = createDatabase(scratch.url, { batchSize: 250, deleteChunkSize: 700 });
    await db.migrate();
  });

  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  async function processingJob(token: string): Promise<string> {
    const record = await db.createFileRecord(sampleFileRecord());
    await db.startAttempt(record.jobId, token);
    return record.jobId;
  }

  it('stores every row of a batch and reads each back with its values, row number and errors', async () => {
    const jobId = await processingJob('t1');
    const clean = [...cleanRecords(600, { sheet: 1 }), ...cleanRecords(400, { sheet: 0, firstRow: 5 })];
    const exceptions = [...exceptionRecords(30, { sheet: 1, firstRow: 1000 }), ...exceptionRecords(20, { sheet: 0, firstRow: 2 })];
    const reasons = exceptions.map((e) => `第${e.rowNumber}行：手机号格式不正确`);

    const stored = await db.insertBatch(jobId, 't1', clean, exceptions, reasons);
    expect(stored).toEqual({ cleanRows: 1000, exceptionRows: 50 });
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 1000, exceptionRows: 50 });

    const expectedClean = [...clean].sort(byPosition);
    const page1 = await db.cleanRows(jobId, { page: 1, pageSize: 300 });
    const page4 = await db.cleanRows(jobId, { page: 4, pageSize: 300 });
    expect(page1.total).toBe(1000);
    expect(page1.rows).toEqual(expectedClean.slice(0, 300));
    expect(page4.rows).toEqual(expectedClean.slice(900));
    expect((await db.cleanRows(jobId, { page: 5, pageSize: 300 })).rows).toEqual([]);

    const expectedExceptions: StoredException[] = exceptions.map((e, i) => ({ ...e, reason: reasons[i] })).sort(byPosition);
    const allExceptions = await db.exceptionRows(jobId, { page: 1, pageSize: 100 });
    expect(allExceptions).toEqual({ rows: expectedExceptions, total: 50 });

    await db.completeAttempt(jobId, 't1', result(1000, 50));
    const record = await db.getFileRecordByJobId(jobId);
    expect(record).toMatchObject({ status: 'completed', totalRows: 1050, cleanedRows: 1000, exceptionRows: 50, processingTimeMs: 42, errorCode: null });
    expect(record?.statistics).toEqual(statistics(1050, 1000));
    const counts = await db.countResults(jobId);
    expect(counts.cleanRows + counts.exceptionRows).toBe(record?.totalRows);
    expect((await db.cleanRows(jobId, { page: 2, pageSize: 300 })).rows).toEqual(expectedClean.slice(300, 600));
  });

  it('derives the reason text from the field errors when none is given', async () => {
    const jobId = await processingJob('t');
    await db.insertBatch(jobId, 't', [], exceptionRecords(1));
    const { rows } = await db.exceptionRows(jobId, { page: 1, pageSize: 10 });
    expect(rows[0].reason).toBe('手机: 手机号格式不正确：12345; 地址: 无法识别省份');
    await expect(db.insertBatch(jobId, 't', [], exceptionRecords(2), ['only one'])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('stores a repeated batch (retry after a lost acknowledgement) only once', async () => {
    const jobId = await processingJob('t');
    const clean = cleanRecords(300);
    const exceptions = exceptionRecords(10, { firstRow: 1000 });
    expect(await db.insertBatch(jobId, 't', clean, exceptions)).toEqual({ cleanRows: 300, exceptionRows: 10 });
    expect(await db.insertBatch(jobId, 't', clean, exceptions)).toEqual({ cleanRows: 0, exceptionRows: 0 });
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 300, exceptionRows: 10 });
  });

  it('completes only when the stored rows match the reported counts', async () => {
    const jobId = await processingJob('t');
    await db.insertBatch(jobId, 't', cleanRecords(10), exceptionRecords(5, { firstRow: 100 }));
    await expect(db.completeAttempt(jobId, 't', result(11, 5))).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(db.completeAttempt(jobId, 't', { ...result(10, 5), totalRows: 14 })).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    expect((await db.getFileRecordByJobId(jobId))?.status).toBe('processing');
    await expect(db.completeAttempt(jobId, 'other', result(10, 5))).rejects.toBeInstanceOf(StaleAttemptError);

    await db.completeAttempt(jobId, 't', result(10, 5));
    await db.completeAttempt(jobId, 't', result(10, 5)); // a repeated call (lost acknowledgement) is harmless
    expect((await db.getFileRecordByJobId(jobId))?.status).toBe('completed');
    await expect(db.insertBatch(jobId, 't', cleanRecords(1, { firstRow: 500 }), [])).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 10, exceptionRows: 5 });
  });

  it('after a crash mid-way, the next attempt leaves exactly one set of rows', async () => {
    const jobId = await processingJob('first');
    // The first attempt stores 1,700 of 3,000 rows, then its worker dies.
    await db.insertBatch(jobId, 'first', cleanRecords(1500, { tag: 'first' }), exceptionRecords(200, { firstRow: 5000, tag: 'first' }));

    await db.startAttempt(jobId, 'second');
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
    const clean = cleanRecords(2800, { tag: 'second' });
    const exceptions = exceptionRecords(200, { firstRow: 5000, tag: 'second' });
    for (let i = 0; i < 2800; i += 1000) await db.insertBatch(jobId, 'second', clean.slice(i, i + 1000), i === 0 ? exceptions : []);
    await db.completeAttempt(jobId, 'second', result(2800, 200));

    expect(await db.countResults(jobId)).toEqual({ cleanRows: 2800, exceptionRows: 200 });
    const streamed = await collect(db.streamCleanRows(jobId, 1000));
    expect(streamed).toEqual(clean);
    expect((await db.getFileRecordByJobId(jobId))?.attempts).toBe(2);
  });

  it('refuses a stale token and stores nothing: newer attempt, cancel, timeout, hand-back', async () => {
    const jobId = await processingJob('old');
    await db.startAttempt(jobId, 'new');
    const stale = db.insertBatch(jobId, 'old', cleanRecords(5), exceptionRecords(1, { firstRow: 100 }));
    await expect(stale).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(stale).rejects.toMatchObject({ code: 'INVALID_STATE', jobId, attemptToken: 'old', currentStatus: 'processing' });
    expect(await db.countResults(jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });

    for (const end of ['cancelled', 'timeout', 'pending'] as const) {
      const job = await processingJob('t');
      await db.insertBatch(job, 't', cleanRecords(3), []);
      if (end === 'pending') await db.updateFileRecord(job, { status: 'pending' });
      else await db.endAttempt(job, null, end, end === 'timeout' ? 'PROCESSING_TIMEOUT' : 'CANCELLED', '');
      await expect(db.insertBatch(job, 't', cleanRecords(3, { firstRow: 10 }), []), end).rejects.toBeInstanceOf(StaleAttemptError);
      await expect(db.completeAttempt(job, 't', result(3, 0)), end).rejects.toBeInstanceOf(StaleAttemptError);
      // Ending removes the partial rows; a hand-back leaves them to the next startAttempt.
      expect(await db.countResults(job), end).toEqual({ cleanRows: end === 'pending' ? 3 : 0, exceptionRows: 0 });
    }
    await expect(db.insertBatch('no-such-job', 't', cleanRecords(1), [])).rejects.toMatchObject({ currentStatus: undefined });
  });

  it('race: a second worker takes the job over while the first is inserting; only its rows remain', async () => {
    // Two independent pools, like two worker processes.
    const workerA = createDatabase(scratch.url, { batchSize: 250 });
    const workerB = createDatabase(scratch.url, { batchSize: 250 });
    try {
      const jobId = await processingJob('A');
      const rowsA = cleanRecords(40_000, { tag: 'A' });
      let batchesA = 0;
      let refusedA: unknown;
      const runA = (async () => {
        for (let i = 0; i < rowsA.length; i += 200) {
          try {
            await workerA.insertBatch(jobId, 'A', rowsA.slice(i, i + 200), []);
            batchesA++;
          } catch (err) {
            refusedA = err;
            return;
          }
        }
      })();
      await expect.poll(() => batchesA, { timeout: 30_000, interval: 5 }).toBeGreaterThanOrEqual(5);

      await workerB.startAttempt(jobId, 'B');
      // Whatever A committed before the switch is gone, and A can add nothing after it.
      expect(await workerB.countResults(jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
      await runA;
      expect(refusedA).toBeInstanceOf(StaleAttemptError);
      expect(batchesA).toBeLessThan(rowsA.length / 200);
      expect(await workerB.countResults(jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });

      const rowsB = cleanRecords(3000, { tag: 'B' });
      for (let i = 0; i < rowsB.length; i += 1000) await workerB.insertBatch(jobId, 'B', rowsB.slice(i, i + 1000), []);
      await workerB.completeAttempt(jobId, 'B', result(3000, 0));
      expect(await collect(workerA.streamCleanRows(jobId, 700))).toEqual(rowsB);
    } finally {
      await workerA.close();
      await workerB.close();
    }
  });

  it('streams 50,000 rows of several sheets in order, keyset-paged, with flat memory', async () => {
    const jobId = await processingJob('t');
    const sheets = [
      { sheet: 0, rows: 20_000 },
      { sheet: 2, rows: 25_000 },
      { sheet: 3, rows: 5_000 },
    ];
    // Wide rows (~1 KB of JSON each): holding all 50,000 would take far more than the bound below.
    const filler = 'x'.repeat(60);
    for (const { sheet, rows } of sheets) {
      for (let first = 0; first < rows; first += 5000) {
        const batch = cleanRecords(Math.min(5000, rows - first), { sheet, firstRow: 2 + first }).map((r) => ({
          ...r,
          values: [...r.values, ...Array<string>(15).fill(filler)],
        }));
        await db.insertBatch(jobId, 't', batch, exceptionRecords(10, { sheet, firstRow: 100_000 + first }));
      }
    }

    const gc = forceGc();
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    let previous = { sheetIndex: -1, rowNumber: -1 };
    const problems: string[] = [];
    for await (const chunk of db.streamCleanRows(jobId, 1000)) {
      if (chunk.length > 1000) problems.push(`chunk of ${chunk.length}`);
      for (const row of chunk) {
        if (byPosition(previous, row) >= 0) problems.push(`out of order: ${JSON.stringify([previous, row.sheetIndex, row.rowNumber])}`);
        if (row.values[0] !== `v-${row.sheetIndex}-${row.rowNumber}` || row.values.length !== 21) problems.push(`wrong values at ${row.rowNumber}`);
        previous = { sheetIndex: row.sheetIndex, rowNumber: row.rowNumber };
        count++;
      }
      if (count % 10_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(count).toBe(50_000);
    expect(previous).toMatchObject({ sheetIndex: 3, rowNumber: 5001 });
    // One chunk is ~1 MB of objects; all rows would be ~50 MB.
    expect(peak).toBeLessThan(15 * 1024 * 1024);

    const exceptions = await collect(db.streamExceptionRows(jobId, 7));
    expect(exceptions).toHaveLength(10 * 10);
    expect(exceptions.map((e) => [e.sheetIndex, e.rowNumber])).toEqual([...exceptions].sort(byPosition).map((e) => [e.sheetIndex, e.rowNumber]));
    expect(exceptions[0]).toMatchObject({ sheetIndex: 0, rowNumber: 100_000, errors: [phoneError('12345'), expect.anything()] });
  });

  it('streams by key, not by offset: rows inserted before the read position are not seen twice', async () => {
    const jobId = await processingJob('t');
    await db.insertBatch(jobId, 't', cleanRecords(100, { firstRow: 1000 }), []);
    const iterator = db.streamCleanRows(jobId, 40)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.map((r: CleanRecord) => r.rowNumber)).toEqual(Array.from({ length: 40 }, (_, i) => 1000 + i));
    // Rows that sort before the read position appear now; an OFFSET scan would re-read row 1039.
    await db.insertBatch(jobId, 't', cleanRecords(50, { firstRow: 2 }), []);
    const rest: number[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(...next.value.map((r: CleanRecord) => r.rowNumber));
    expect(rest).toEqual(Array.from({ length: 60 }, (_, i) => 1040 + i));
  });

  it('round-trips unicode and hostile text exactly', async () => {
    const jobId = await processingJob('t');
    const hostile = [
      '中文，全角：＂引号＂',
      '😀👨‍👩‍👧 emoji',
      'עברית RTL',
      '\u200b零宽\ufeff',
      'a"b\'c\\d`e',
      'line1\nline2\r\n\ttab',
      '\u0000nul',
      'lone \ud800 surrogate',
      '',
      ' spaced ',
      "'; drop table clean_data; --",
      '%_?$1',
    ];
    const expectedValues = hostile.map((v) => v.replace(/\ud800/, '\ud800')); // JSON keeps lone surrogates as escapes
    await db.insertBatch(
      jobId,
      't',
      [{ sheetIndex: 0, rowNumber: 2, values: hostile }],
      [{ sheetIndex: 0, rowNumber: 3, values: hostile, errors: hostile.map((v) => ({ field: v, value: v, errorType: 'INVALID_DATE', message: v })) }],
      ['原因：\u0000 空字符与 \ud800 孤立代理'],
    );
    const [clean] = (await db.cleanRows(jobId, { page: 1, pageSize: 1 })).rows;
    expect(clean.values).toEqual(expectedValues);
    const [exception] = (await db.exceptionRows(jobId, { page: 1, pageSize: 1 })).rows;
    expect(exception.values).toEqual(expectedValues);
    expect(exception.errors.map((e) => e.message)).toEqual(expectedValues);
    // The free-text reason column cannot hold NUL (PostgreSQL) or lone surrogates (UTF-8): replaced.
    expect(exception.reason).toBe('原因：\ufffd 空字符与 \ufffd 孤立代理');

    const record = await db.createFileRecord(sampleFileRecord({ originalName: '报表\u0000😀.xlsx' }));
    expect(record.originalName).toBe('报表\ufffd😀.xlsx');
  });

  it('stores rows of a 10,000-column sheet, also more of them than fit one MySQL packet', async () => {
    const jobId = await processingJob('t');
    const wide = Array.from({ length: 10_000 }, (_, i) => `列${i}：值😀`);
    // 200 rows × ~140 KB: more than a 16 MB max_allowed_packet in one batch.
    const clean = Array.from({ length: 200 }, (_, i) => ({ sheetIndex: 0, rowNumber: i + 2, values: wide }));
    const manyErrors = Array.from({ length: 2000 }, (_, i) => phoneError(`坏号码${i}`));
    const exceptions = [{ sheetIndex: 0, rowNumber: 1000, values: wide, errors: manyErrors }];
    expect(await db.insertBatch(jobId, 't', clean, exceptions)).toEqual({ cleanRows: 200, exceptionRows: 1 });

    const page = await db.cleanRows(jobId, { page: 100, pageSize: 2 });
    expect(page.rows.map((r) => r.rowNumber)).toEqual([200, 201]);
    expect(page.rows[1].values).toEqual(wide);
    const [exception] = (await db.exceptionRows(jobId, { page: 1, pageSize: 1 })).rows;
    expect(exception.values).toEqual(wide);
    expect(exception.errors).toEqual(manyErrors);
  });

  it('rejects reading results of an unknown job and bad page parameters', async () => {
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (isAppError(e) ? e.code : 'other'),
      );
    expect(await code(db.cleanRows('no-such-job', { page: 1, pageSize: 10 }))).toBe('JOB_NOT_FOUND');
    expect(await code(db.exceptionRows('no-such-job', { page: 1, pageSize: 10 }))).toBe('JOB_NOT_FOUND');
    const jobId = await processingJob('t');
    expect(await code(db.cleanRows(jobId, { page: 0, pageSize: 10 }))).toBe('INVALID_REQUEST');
    expect(await collect(db.streamCleanRows('no-such-job'))).toEqual([]);
  });
});
