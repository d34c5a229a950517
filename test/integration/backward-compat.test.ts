/**
 * SPEC R10 (属性16): for every fixture file (csv, xlsx, xls) the asynchronous path (upload → queue
 * → worker) and the original synchronous path (`?mode=sync`) give identical results: the same
 * clean rows and exceptions through the paginated endpoints, the same statistics (timing aside),
 * the same export files in both formats (compared cell by cell), the same error for a file that
 * cannot be processed — and the original response shapes are unchanged.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import * as XLSX from '@e965/xlsx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/queue-harness.js';
import { getJson, ROOT, upload } from '../support/stack.js';

const FIXTURES = join(ROOT, 'test/fixtures/parsing');
const files = (['csv', 'xlsx', 'xls'] as const).flatMap((kind) =>
  readdirSync(join(FIXTURES, kind))
    .sort()
    .map((name) => join(FIXTURES, kind, name)),
);

interface Page<T> {
  columns: string[];
  data: T[];
  total: number;
}

/** Everything the original API shows about a job's results. */
async function results(baseUrl: string, jobId: string) {
  const pages = async <T>(kind: 'clean' | 'exceptions') => {
    const rows: T[] = [];
    let columns: string[] = [];
    let total = 0;
    for (let page = 1; ; page++) {
      const res = await getJson<Page<T>>(`${baseUrl}/api/data-cleaning/data/${kind}/${jobId}?page=${page}&pageSize=100`);
      expect(res.status).toBe(200);
      columns = res.body.columns;
      total = res.body.total;
      rows.push(...res.body.data);
      if (res.body.data.length === 0 || rows.length >= total) break;
    }
    return { columns, total, rows };
  };
  const download = async (kind: 'clean' | 'exceptions', format: 'xlsx' | 'csv') => {
    const res = await fetch(`${baseUrl}/api/data-cleaning/download/${kind}/${jobId}?format=${format}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${kind === 'clean' ? 'clean_data' : 'exception_data'}_${jobId}.${format}"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (format === 'csv') {
      expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
      return Papa.parse<string[]>(bytes.subarray(3).toString('utf8'), { skipEmptyLines: false }).data;
    }
    const book = XLSX.read(bytes, { type: 'buffer' });
    return book.SheetNames.map((name) => ({ name, cells: XLSX.utils.sheet_to_json<unknown[]>(book.Sheets[name], { header: 1, raw: true, defval: null }) }));
  };
  return {
    clean: await pages('clean'),
    exceptions: await pages('exceptions'),
    cleanCsv: await download('clean', 'csv'),
    cleanXlsx: await download('clean', 'xlsx'),
    exceptionsCsv: await download('exceptions', 'csv'),
    exceptionsXlsx: await download('exceptions', 'xlsx'),
  };
}

function withoutTiming(statistics: unknown): unknown {
  const { processingTimeMs, ...rest } = statistics as { processingTimeMs: number };
  expect(typeof processingTimeMs).toBe('number');
  return rest;
}

describe('R10: the asynchronous path gives exactly the synchronous results', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ tag: 'compat' });
    h.startConsumer();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('has fixtures of every format', () => {
    expect(files.some((f) => f.endsWith('.csv'))).toBe(true);
    expect(files.some((f) => f.endsWith('.xlsx'))).toBe(true);
    expect(files.some((f) => f.endsWith('.xls'))).toBe(true);
  });

  it.each(files.map((f) => [f.slice(FIXTURES.length + 1), f]))('%s', async (_name, file) => {
    const sync = await upload<Record<string, unknown>>(h.baseUrl, file, { mode: 'sync' });
    const async = await upload<Record<string, unknown>>(h.baseUrl, file);
    if (async.status !== 202) {
      // Refused at upload (e.g. nothing but blank lines): refused the same way in both modes.
      expect(async.status).toBeGreaterThanOrEqual(400);
      expect(sync.status).toBe(async.status);
      expect(sync.body.errorCode).toBe(async.body.errorCode);
      return;
    }
    expect(Object.keys(async.body).sort()).toEqual(['fileId', 'jobId', 'message', 'status', 'taskId']);
    const taskId = async.body.taskId as string;
    const record = await waitFor(
      async () => {
        const r = await h.db.getFileRecordByJobId(taskId);
        return r && ['completed', 'failed', 'timeout', 'cancelled'].includes(r.status) ? r : undefined;
      },
      `task ${taskId} to end`,
      30_000,
    );

    if (sync.status !== 200) {
      // A file the service cannot process: the same error either way.
      expect(sync.body).toMatchObject({ statusCode: sync.status, errorCode: expect.any(String) });
      expect(record.status).toBe('failed');
      expect(record.errorCode).toBe(sync.body.errorCode);
      expect(record.errorMessage).toBe(sync.body.message);
      return;
    }
    // The original synchronous answer keeps its shape.
    expect(Object.keys(sync.body).sort()).toEqual(['fileId', 'jobId', 'message', 'statistics', 'totalRows']);
    expect(record.status).toBe('completed');
    const syncJob = sync.body.jobId as string;

    // Statistics: the sync answer, the stored record of each path and the status endpoints agree.
    const syncStats = withoutTiming(sync.body.statistics);
    expect(withoutTiming(record.statistics)).toEqual(syncStats);
    const syncRecord = await h.db.getFileRecordByJobId(syncJob);
    expect(withoutTiming(syncRecord!.statistics)).toEqual(syncStats);
    for (const jobId of [syncJob, taskId]) {
      const status = await getJson<Record<string, unknown>>(`${h.baseUrl}/api/data-cleaning/status/${jobId}`);
      expect(Object.keys(status.body).sort()).toEqual(['jobId', 'progress', 'statistics', 'status']);
      expect(status.body).toMatchObject({ jobId, status: 'completed', progress: 100 });
      expect(withoutTiming(status.body.statistics)).toEqual(syncStats);
    }
    expect([record.totalRows, record.cleanedRows, record.exceptionRows]).toEqual([syncRecord!.totalRows, syncRecord!.cleanedRows, syncRecord!.exceptionRows]);

    // File detail keeps its shape for both.
    const [syncDetail, asyncDetail] = await Promise.all(
      [syncRecord!.id, record.id].map((id) => getJson<Record<string, unknown>>(`${h.baseUrl}/api/data-cleaning/files/${id}`)),
    );
    expect(Object.keys(asyncDetail.body).sort()).toEqual(Object.keys(syncDetail.body).sort());

    // Rows and both export files, in both formats.
    const [expected, actual] = await Promise.all([results(h.baseUrl, syncJob), results(h.baseUrl, taskId)]);
    expect(actual.clean.total + actual.exceptions.total).toBe(record.totalRows);
    expect(actual).toEqual(expected);
  });
});
