import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, Database, type FileRecord, type FileSortKey, type ListFilesQuery } from '../../src/storage/index.js';
import { createIsolatedDatabase, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import type { JobStatus } from '../../src/domain/index.js';

/** What a generated record should end up as. */
interface RecordSpec {
  originalName: string;
  size: number;
  uploadedAt: Date;
  status: JobStatus;
  /** Rows stored (completed records only): becomes totalRows. */
  rows: number;
}

const DAYS = Array.from({ length: 6 }, (_, i) => Date.UTC(2024, 4, 1 + i, 9, 30, 15, 250));

// Dates cluster on a few instants (ties, boundaries) with millisecond offsets around them.
const dateArb = fc.tuple(fc.constantFrom(...DAYS), fc.constantFrom(-1, 0, 0, 1, 3_600_000)).map(([day, offset]) => new Date(day + offset));

// Names mix ASCII, CJK and astral characters; never a trailing space (MySQL's PAD SPACE collations
// compare 'a' and 'a ' as equal) and no control characters.
const nameArb = fc
  .array(fc.constantFrom('a', 'b', 'B', 'z', '0', '9', ' ', '-', '_', '中', '文', '表', '😀', 'É'), { minLength: 1, maxLength: 6 })
  .map((chars) => `${chars.join('').trimEnd() || 'x'}.csv`);

const specArb: fc.Arbitrary<RecordSpec> = fc.record({
  originalName: nameArb,
  size: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 ** 40 })),
  uploadedAt: dateArb,
  status: fc.constantFrom<JobStatus>('pending', 'processing', 'completed', 'failed', 'cancelled'),
  rows: fc.integer({ min: 0, max: 3 }),
});

const queryArb: fc.Arbitrary<ListFilesQuery> = fc.record(
  {
    page: fc.integer({ min: 1, max: 4 }),
    pageSize: fc.integer({ min: 1, max: 6 }),
    status: fc.constantFrom<JobStatus>('pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled'),
    startDate: dateArb,
    endDate: dateArb,
    sortBy: fc.constantFrom<FileSortKey>('uploadedAt', 'originalName', 'size', 'status', 'totalRows'),
    order: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
  },
  { requiredKeys: ['page', 'pageSize'] },
);

/** Code point order: what byte-wise collations (C, utf8mb4_bin, SQLite BINARY) give. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function sortValue(record: FileRecord, key: FileSortKey): string | number {
  switch (key) {
    case 'uploadedAt':
      return record.uploadedAt.getTime();
    case 'originalName':
      return record.originalName;
    case 'size':
      return record.size;
    case 'status':
      return record.status;
    case 'totalRows':
      return record.totalRows;
  }
}

function compareValues(a: string | number, b: string | number): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : compareCodePoints(String(a), String(b));
}

/** The documented behaviour of listFileRecords, in memory. */
function model(records: FileRecord[], query: ListFilesQuery): { ids: string[]; total: number } {
  const key = query.sortBy ?? 'uploadedAt';
  const sign = (query.order ?? 'desc') === 'asc' ? 1 : -1;
  const matching = records.filter(
    (r) =>
      (query.status === undefined || r.status === query.status) &&
      (query.startDate === undefined || r.uploadedAt.getTime() >= query.startDate.getTime()) &&
      (query.endDate === undefined || r.uploadedAt.getTime() <= query.endDate.getTime()),
  );
  const sorted = [...matching].sort((a, b) => sign * (compareValues(sortValue(a, key), sortValue(b, key)) || compareCodePoints(a.id, b.id)));
  const start = (query.page - 1) * query.pageSize;
  return { ids: sorted.slice(start, start + query.pageSize).map((r) => r.id), total: matching.length };
}

describe.each(testDatabases())('listFileRecords on $name', ({ name }) => {
  let scratch: IsolatedDatabase;
  let db: Database;
  let created: string[] = [];
  let serial = 0;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(name);
    db = createDatabase(scratch.url);
    await db.migrate();
  });

  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  async function createRecord(spec: RecordSpec): Promise<FileRecord> {
    serial++;
    const suffix = `${serial.toString(36).padStart(5, '0')}-${Math.random().toString(36).slice(2, 8)}`;
    const record = await db.createFileRecord({
      id: `f-${suffix}`,
      jobId: `j-${suffix}`,
      originalName: spec.originalName,
      size: spec.size,
      fileType: 'csv',
      mimeType: 'text/csv',
      storageKey: `uploads/${suffix}`,
      uploadedAt: spec.uploadedAt,
    });
    created.push(record.jobId);
    if (spec.status === 'cancelled') await db.endAttempt(record.jobId, null, 'cancelled', 'CANCELLED', '取消');
    if (spec.status === 'processing' || spec.status === 'completed' || spec.status === 'failed') await db.startAttempt(record.jobId, 't');
    if (spec.status === 'failed') await db.endAttempt(record.jobId, 't', 'failed', 'X', 'x');
    if (spec.status === 'completed') {
      const clean = Array.from({ length: spec.rows }, (_, i) => ({ sheetIndex: 0, rowNumber: i + 2, values: ['v'] }));
      await db.insertBatch(record.jobId, 't', clean, []);
      await db.completeAttempt(record.jobId, 't', {
        totalRows: spec.rows,
        cleanedRows: spec.rows,
        exceptionRows: 0,
        processingTimeMs: 1,
        statistics: {
          totalRows: spec.rows,
          cleanedRows: spec.rows,
          exceptionRows: 0,
          errorsByType: {},
          errorsByField: {},
          processingTimeMs: 1,
          format: 'csv',
          sheets: [],
        },
        layout: [],
      });
    }
    return (await db.getFileRecordByJobId(record.jobId))!;
  }

  it('returns exactly the page an in-memory filter and sort gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { maxLength: 10 }), fc.array(queryArb, { minLength: 1, maxLength: 4 }), async (specs, queries) => {
        for (const jobId of created) await db.deleteFileRecord(jobId);
        created = [];
        const records: FileRecord[] = [];
        for (const spec of specs) records.push(await createRecord(spec));
        // Names, sizes and dates round-trip exactly.
        expect(records.map((r) => [r.originalName, r.size, r.uploadedAt.getTime(), r.status])).toEqual(
          specs.map((s) => [s.originalName, s.size, s.uploadedAt.getTime(), s.status]),
        );
        for (const query of queries) {
          const page = await db.listFileRecords(query);
          expect({ ids: page.files.map((f) => f.id), total: page.total }).toEqual(model(records, query));
        }
      }),
      { numRuns: 100 },
    );
  });
});
