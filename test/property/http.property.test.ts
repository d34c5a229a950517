/**
 * Correctness properties of the original API (issue 3), over real HTTP on every dialect:
 * - every clean row is queryable through data/clean with its fields and row number, every
 *   exception through data/exceptions with its row number, original data and reasons;
 * - clean + exceptions = totalRows, equal to the rows stored;
 * - the file list returns exactly the records matching its filters, in the promised order;
 * - processing a job again (after a crash mid-way, or twice at once) leaves exactly one set of rows.
 * Each run is small (1–20 rows) so a hundred runs per dialect stay quick.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { runJob } from '../../src/pipeline/run-job.js';
import { TaskProducer } from '../../src/queue/task-producer.js';
import { type Database, type FileRecord } from '../../src/storage/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import {
  call,
  csvText,
  expectedFileList,
  fileListPath,
  fileStoreOf,
  seedFileRecords,
  uploadContent,
  type FileListQuery,
  type SeedRecord,
} from '../support/http-client.js';
import { JOB_STATUSES } from '../../src/domain/index.js';

const API = '/api/data-cleaning';
const RUNS = 100;
const HEADERS = ['姓名', '手机号', '出生日期'] as const;
const COLUMN_TYPES = { 姓名: 'text', 手机号: 'phone', 出生日期: 'date' };

/** One generated cell: what is written to the file, and what the service must make of it. */
interface Cell {
  raw: string;
  /** The cleaned value, or undefined when the field is invalid. */
  clean?: string;
}

const name: fc.Arbitrary<Cell> = fc
  .tuple(fc.constantFrom('', ' ', '  '), fc.string({ unit: fc.constantFrom(...'张王李赵ab Z9,"\'=\n'), minLength: 1, maxLength: 8 }), fc.constantFrom('', ' '))
  .filter(([, core]) => core.trim() !== '')
  .map(([before, core, after]) => ({ raw: `${before}${core}${after}`, clean: `${before}${core}${after}`.trim() }));

const validPhone: fc.Arbitrary<Cell> = fc
  .tuple(fc.integer({ min: 3, max: 9 }), fc.stringMatching(/^\d{9}$/), fc.constantFrom('plain', 'spaces', 'dashes', '+86', '0086'))
  .map(([second, rest, style]) => {
    const digits = `1${second}${rest}`;
    const shown = {
      plain: digits,
      spaces: `${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}`,
      dashes: `${digits.slice(0, 3)}-${digits.slice(3, 7)}-${digits.slice(7)}`,
      '+86': `+86 ${digits}`,
      '0086': `0086${digits}`,
    }[style];
    return { raw: shown, clean: digits };
  });
const invalidPhone: fc.Arbitrary<Cell> = fc.constantFrom('12345', '999', '1234567890123', 'abc', '2-3').map((raw) => ({ raw }));
const phone = fc.oneof(validPhone, invalidPhone, fc.constant<Cell>({ raw: '', clean: '' }));

const validDate: fc.Arbitrary<Cell> = fc
  .tuple(
    fc.integer({ min: 1950, max: 2050 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
    fc.constantFrom('iso', 'slash', 'chinese', 'compact'),
  )
  .map(([y, m, d, style]) => {
    const mm = String(m).padStart(2, '0');
    const dd = String(d).padStart(2, '0');
    const raw = { iso: `${y}-${mm}-${dd}`, slash: `${y}/${m}/${d}`, chinese: `${y}年${m}月${d}日`, compact: `${y}${mm}${dd}` }[style];
    return { raw, clean: `${y}-${mm}-${dd}` };
  });
const invalidDate: fc.Arbitrary<Cell> = fc.constantFrom('2024-13-45', 'abc', '2023-02-30', '1899-12-31', '2101-01-01').map((raw) => ({ raw }));
const date = fc.oneof(validDate, invalidDate, fc.constant<Cell>({ raw: '', clean: '' }));

const rows = fc.array(fc.tuple(name, phone, date), { minLength: 1, maxLength: 20 });

const ERROR_TYPES: Record<string, string[]> = { 手机号: ['INVALID_PHONE'], 出生日期: ['INVALID_DATE', 'DATE_OUT_OF_RANGE'] };

interface CleanPage {
  columns: string[];
  data: { rowNumber: number; sheetName: string; values: Record<string, string> }[];
  total: number;
}
interface ExceptionPage {
  columns: string[];
  data: { rowNumber: number; originalData: Record<string, string>; errors: { field: string; value: string; errorType: string }[]; reason: string }[];
  total: number;
}

/** All rows of a data endpoint, read in pages of `pageSize`. */
async function readAll<T extends { data: unknown[]; total: number }>(app: TestApp, path: string, pageSize: number): Promise<{ first: T; data: T['data'] }> {
  const first = (await call<T>(app.baseUrl, `${path}?page=1&pageSize=${pageSize}`)).body;
  const data = [...first.data];
  for (let page = 2; (page - 1) * pageSize < first.total; page++) {
    data.push(...(await call<T>(app.baseUrl, `${path}?page=${page}&pageSize=${pageSize}`)).body.data);
  }
  return { first, data };
}

/** The job's results through the API equal what the generated rows must give. */
async function expectResultsOf(app: TestApp, jobId: string, table: [Cell, Cell, Cell][], pageSize = 100): Promise<void> {
  const expectedClean = table.flatMap(([n, p, d], i) =>
    p.clean !== undefined && d.clean !== undefined
      ? [{ rowNumber: i + 2, sheetName: 'Sheet1', values: { 姓名: n.clean, 手机号: p.clean, 出生日期: d.clean } }]
      : [],
  );
  const expectedExceptions = table.flatMap(([n, p, d], i) =>
    p.clean === undefined || d.clean === undefined
      ? [
          {
            rowNumber: i + 2,
            originalData: { 姓名: n.raw, 手机号: p.raw, 出生日期: d.raw },
            failing: [p.clean === undefined ? '手机号' : '', d.clean === undefined ? '出生日期' : ''].filter(Boolean),
            values: [p.raw, d.raw],
          },
        ]
      : [],
  );

  const clean = await readAll<CleanPage>(app, `${API}/data/clean/${jobId}`, pageSize);
  expect(clean.first.total).toBe(expectedClean.length);
  expect(clean.first.columns).toEqual([...HEADERS]);
  expect(clean.data).toEqual(expectedClean);

  const exceptions = await readAll<ExceptionPage>(app, `${API}/data/exceptions/${jobId}`, pageSize);
  expect(exceptions.first.total).toBe(expectedExceptions.length);
  expect(exceptions.data.map((e) => ({ rowNumber: e.rowNumber, originalData: e.originalData }))).toEqual(
    expectedExceptions.map(({ rowNumber, originalData }) => ({ rowNumber, originalData })),
  );
  exceptions.data.forEach((row, i) => {
    const expected = expectedExceptions[i];
    expect(row.errors.map((e) => e.field)).toEqual(expected.failing);
    for (const error of row.errors) {
      expect(ERROR_TYPES[error.field]).toContain(error.errorType);
      expect(error.value).toBe(row.originalData[error.field]);
      expect(row.reason).toContain(error.field);
    }
  });

  expect(await app.db.countResults(jobId)).toEqual({ cleanRows: expectedClean.length, exceptionRows: expectedExceptions.length });
  const record = await app.db.getFileRecordByJobId(jobId);
  expect(record).toMatchObject({ status: 'completed', totalRows: table.length, cleanedRows: expectedClean.length, exceptionRows: expectedExceptions.length });
}

function csvOf(table: [Cell, Cell, Cell][]): string {
  return csvText([[...HEADERS], ...table.map((cells) => cells.map((c) => c.raw))]);
}

/**
 * A database that fails like a crashed worker: `insertBatch` after `okBatches` successful calls,
 * and `completeAttempt` always (so a run with fewer batches crashes just before completing).
 */
function crashingDatabase(db: Database, okBatches: number): Database {
  let batches = 0;
  return new Proxy(db, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (property === 'completeAttempt') return () => Promise.reject(new Error('simulated worker crash before completing'));
      if (property !== 'insertBatch') return method;
      return (...args: unknown[]) => (batches++ >= okBatches ? Promise.reject(new Error('simulated worker crash')) : method(...args));
    },
  });
}

describe.each(testDatabases())('HTTP properties on $name', ({ name: dialect }) => {
  let scratch: IsolatedDatabase;
  let app: TestApp;
  let producer: TaskProducer;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(dialect);
    app = await startTestApp({ databaseUrl: scratch.url });
    producer = new TaskProducer({ db: app.db, fileStore: fileStoreOf(app), logger: createLogger({ level: 'silent' }), maxFileSize: () => 1024 * 1024 });
  });

  afterAll(async () => {
    await app?.close();
    await scratch?.drop();
  });

  /** A stored upload with its pending record, as the upload path leaves it (no HTTP, no queue). */
  async function storedUpload(content: string): Promise<FileRecord> {
    const saved = await producer.save(Readable.from([Buffer.from(content)]));
    return producer.create(saved, 'p.csv', { columnTypes: COLUMN_TYPES as Record<string, 'text'> });
  }

  it('sync upload: every row is queryable as clean data or exception; clean + exceptions = totalRows = stored rows', async () => {
    await fc.assert(
      fc.asyncProperty(rows, fc.integer({ min: 1, max: 7 }), async (table, pageSize) => {
        const res = await uploadContent<{
          jobId: string;
          totalRows: number;
          statistics: { totalRows: number; cleanedRows: number; exceptionRows: number; errorsByField: Record<string, number> };
        }>(app.baseUrl, 'p.csv', csvOf(table), { mode: 'sync', columnTypes: COLUMN_TYPES });
        expect(res.status).toBe(200);
        const { statistics } = res.body;
        expect(res.body.totalRows).toBe(table.length);
        expect(statistics.cleanedRows + statistics.exceptionRows).toBe(statistics.totalRows);
        expect(statistics.errorsByField.手机号 ?? 0).toBe(table.filter(([, p]) => p.clean === undefined).length);
        expect(statistics.errorsByField.出生日期 ?? 0).toBe(table.filter(([, , d]) => d.clean === undefined).length);
        await expectResultsOf(app, res.body.jobId, table, pageSize);
      }),
      { numRuns: RUNS },
    );
  });

  it('reprocessing a job (after a crash mid-way, or twice at once) leaves exactly one set of rows', async () => {
    await fc.assert(
      fc.asyncProperty(rows, fc.integer({ min: 0, max: 4 }), async (table, okBatches) => {
        const content = csvOf(table);
        const fileStore = fileStoreOf(app);
        // On the calling thread: the property is about the database's attempts, not the cleaning thread.
        const options = { fileStore, batchSize: 3, threads: 0 };

        // A worker crashes after some batches; another attempt takes the job over and completes it.
        const crashed = await storedUpload(content);
        await expect(runJob({ ...options, db: crashingDatabase(app.db, okBatches), jobId: crashed.jobId, token: 'attempt-1' })).rejects.toThrow();
        await runJob({ ...options, db: app.db, jobId: crashed.jobId, token: 'attempt-2' });
        await expectResultsOf(app, crashed.jobId, table);
        // Processing a completed job again is refused and changes nothing.
        await expect(runJob({ ...options, db: app.db, jobId: crashed.jobId, token: 'attempt-3' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
        await expectResultsOf(app, crashed.jobId, table);

        // Two attempts at once: whichever wins, one set of rows.
        const raced = await storedUpload(content);
        const outcomes = await Promise.allSettled([
          runJob({ ...options, db: app.db, jobId: raced.jobId, token: 'race-a' }),
          runJob({ ...options, db: app.db, jobId: raced.jobId, token: 'race-b' }),
        ]);
        expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
        await expectResultsOf(app, raced.jobId, table);
      }),
      { numRuns: RUNS },
    );
  });

  describe('file list filters', () => {
    let records: FileRecord[];
    let listAppRef: TestApp | undefined;
    let ownRef: IsolatedDatabase | undefined;
    const days = ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04'];

    beforeAll(async () => {
      // A fresh database of its own: the other properties' uploads must not be in the list.
      const own = (ownRef = await createIsolatedDatabase(dialect));
      const listApp = (listAppRef = await startTestApp({ databaseUrl: own.url }));
      const seedRecord: fc.Arbitrary<SeedRecord> = fc.record({
        originalName: fc.constantFrom('a.csv', 'B.csv', 'b.csv', '客户.xlsx', 'ｚ.csv', '😀.csv', 'a.csv'),
        size: fc.constantFrom(10, 100, 100, 5000),
        uploadedAt: fc
          .tuple(fc.constantFrom(...days), fc.constantFrom('00:00:00.000', '00:00:00.001', '08:30:00.000', '23:59:59.999'))
          .map(([day, time]) => new Date(`${day}T${time}Z`)),
        status: fc.constantFrom(...JOB_STATUSES),
        totalRows: fc.constantFrom(0, 1, 3),
      });
      const specs = fc.sample(fc.array(seedRecord, { minLength: 25, maxLength: 25 }), { numRuns: 1, seed: 20_260_501 })[0];
      records = await seedFileRecords(
        listApp.db,
        specs.map((s) => ({ ...s, totalRows: s.status === 'completed' ? s.totalRows : 0 })),
      );
    });

    afterAll(async () => {
      await listAppRef?.close();
      await ownRef?.drop();
    });

    const dateParam = fc.oneof(
      fc.constantFrom(...days, '2026-04-30', '2026-05-05'),
      fc
        .tuple(
          fc.constantFrom(...days),
          fc.constantFrom('T00:00:00Z', 'T00:00:00.001Z', 'T08:30:00.000Z', 'T16:30:00+08:00', 'T23:59:59.999Z', 'T07:59:59.999-01:00'),
        )
        .map(([d, t]) => `${d}${t}`),
    );
    const query: fc.Arbitrary<FileListQuery> = fc.record(
      {
        page: fc.integer({ min: 1, max: 4 }),
        pageSize: fc.integer({ min: 1, max: 12 }),
        status: fc.constantFrom(...JOB_STATUSES),
        startDate: dateParam,
        endDate: dateParam,
        sortBy: fc.constantFrom('uploadedAt', 'originalName', 'size', 'status', 'totalRows'),
        order: fc.constantFrom('asc', 'desc'),
      },
      { requiredKeys: [] },
    );

    it('return exactly the matching records, in order, paged', async () => {
      const listApp = listAppRef;
      if (!listApp) throw new Error('seeding failed');
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          const res = await call<{ files: { id: string }[]; total: number; page: number; pageSize: number }>(listApp.baseUrl, fileListPath(q));
          expect(res.status).toBe(200);
          const expected = expectedFileList(records, q);
          expect({ total: res.body.total, ids: res.body.files.map((f) => f.id) }).toEqual(expected);
          expect(res.body).toMatchObject({ page: q.page ?? 1, pageSize: q.pageSize ?? 20 });
        }),
        { numRuns: RUNS },
      );
    });
  });
});
