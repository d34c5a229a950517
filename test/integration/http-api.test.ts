/**
 * The REST contract of docs/API.md over real HTTP, on SQLite, PostgreSQL and MySQL/MariaDB: the
 * success shape of every endpoint, the task life cycle (pending → processing → completed | failed |
 * cancelled, retry), SSE, downloads parsed back and compared with the stored rows, and the key
 * sets of the original endpoints (SPEC R10.4).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import {
  brokenSheetXlsxBytes,
  call,
  csvText,
  download,
  eventually,
  expectError,
  ISO_TIME,
  postForm,
  readCsvRows,
  openSse,
  readSse,
  readXlsxRows,
  REDIS_URL,
  sortedKeys,
  startHeldWorker,
  storedUploads,
  uploadContent,
  xlsxBytes,
  type ApiResponse,
  type HeldWorker,
} from '../support/http-client.js';
import { ROOT } from '../support/stack.js';
import { COLUMN_TYPES } from '../../src/domain/index.js';

const API = '/api/data-cleaning';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIXTURE_CSV = readFileSync(join(ROOT, 'test/fixtures/parsing/csv/utf8.csv'));

/** Response key sets of docs/API.md; the original endpoints' sets must never change (R10.4). */
const SHAPES = {
  asyncUpload: ['fileId', 'jobId', 'message', 'status', 'taskId'],
  syncUpload: ['fileId', 'jobId', 'message', 'statistics', 'totalRows'],
  status: ['jobId', 'progress', 'status'],
  statusCompleted: ['jobId', 'progress', 'statistics', 'status'],
  statistics: ['cleanedRows', 'errorsByField', 'errorsByType', 'exceptionRows', 'format', 'processingTimeMs', 'sheets', 'totalRows'],
  csvStatistics: [
    'cleanedRows',
    'delimiter',
    'encoding',
    'errorsByField',
    'errorsByType',
    'exceptionRows',
    'format',
    'processingTimeMs',
    'sheets',
    'totalRows',
  ],
  sheetStatistics: ['columns', 'name', 'rows', 'types'],
  fileList: ['files', 'page', 'pageSize', 'total'],
  fileSummary: [
    'cleanedRows',
    'completedAt',
    'enqueuedAt',
    'errorCode',
    'errorMessage',
    'exceptionRows',
    'fileType',
    'id',
    'jobId',
    'mimeType',
    'originalName',
    'processingTimeMs',
    'size',
    'startedAt',
    'status',
    'totalRows',
    'uploadedAt',
  ],
  fileDetail: ['file', 'statistics'],
  cleanPage: ['columns', 'data', 'jobId', 'page', 'pageSize', 'total'],
  cleanRow: ['rowNumber', 'sheetName', 'values'],
  exceptionRow: ['errors', 'originalData', 'reason', 'rowNumber', 'sheetName'],
  fieldError: ['errorType', 'field', 'message', 'value'],
  checkStatus: [
    'attempts',
    'completedAt',
    'createdAt',
    'currentPhase',
    'errorCode',
    'errorMessage',
    'estimatedTimeRemaining',
    'fileId',
    'fileName',
    'processedRows',
    'progress',
    'startedAt',
    'statistics',
    'status',
    'taskId',
    'totalIsEstimate',
    'totalRows',
  ],
  taskAction: ['message', 'status', 'taskId'],
  preview: ['format', 'sheets'],
  previewSheet: ['detectedTypes', 'headers', 'name', 'sampleRows'],
  queueStats: ['counts', 'errorRate', 'recentFailures', 'throughput', 'timestamp', 'workers'],
  queueCounts: ['active', 'completed', 'delayed', 'failed', 'paused', 'prioritized', 'waiting'],
  recentFailure: ['errorCode', 'errorMessage', 'failedAt', 'fileName', 'status', 'taskId'],
  config: ['acceptedExtensions', 'authRequired', 'columnTypes', 'maxFileSize', 'version'],
  ready: ['checks', 'status'],
} as const;

const PHASES = ['queued', 'parsing', 'cleaning', 'saving', 'exporting', 'done'];

interface CheckStatus {
  taskId: string;
  fileId: string;
  fileName: string;
  status: string;
  progress: number;
  processedRows: number;
  totalRows: number;
  totalIsEstimate: boolean;
  currentPhase: string;
  estimatedTimeRemaining: number | null;
  statistics: Record<string, unknown> | null;
  createdAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
}

interface Uploaded {
  taskId: string;
  jobId: string;
  fileId: string;
  status: string;
  message: string;
}

/** A people table: every `badEvery`-th row has an invalid phone. */
function peopleCsv(rows: number, badEvery = 7): string {
  const body = Array.from({ length: rows }, (_v, i) => [
    `用户${i}`,
    i % badEvery === 3 ? '12345' : `138${String(i).padStart(8, '0')}`,
    `2000-01-${String((i % 28) + 1).padStart(2, '0')}`,
    `备注${i}`,
  ]);
  return csvText([['姓名', '手机号', '出生日期', '备注'], ...body]);
}

async function checkStatus(app: TestApp, taskId: string): Promise<CheckStatus> {
  const res = await call<CheckStatus>(app.baseUrl, `${API}/check-status/${taskId}`);
  expect(res.status).toBe(200);
  return res.body;
}

function waitForStatus(app: TestApp, taskId: string, statuses: string[]): Promise<CheckStatus> {
  return eventually(
    async () => {
      const view = await checkStatus(app, taskId);
      return statuses.includes(view.status) ? view : undefined;
    },
    `task ${taskId} to reach ${statuses.join('|')}`,
  );
}

/** Every R5 field with its type; the progress formula of R4.1. */
function expectWellFormedStatus(view: CheckStatus): void {
  expect(sortedKeys(view)).toEqual(SHAPES.checkStatus);
  expect(view.taskId).toMatch(UUID);
  expect(view.fileId).toMatch(UUID);
  expect(typeof view.fileName).toBe('string');
  expect(['pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled']).toContain(view.status);
  expect(Number.isInteger(view.progress) && view.progress >= 0 && view.progress <= 100).toBe(true);
  expect(Number.isInteger(view.processedRows) && view.processedRows >= 0).toBe(true);
  expect(Number.isInteger(view.totalRows) && view.totalRows >= 0).toBe(true);
  if (view.totalRows > 0) expect(view.progress).toBe(Math.round((100 * view.processedRows) / view.totalRows));
  expect(typeof view.totalIsEstimate).toBe('boolean');
  expect(PHASES).toContain(view.currentPhase);
  expect(view.estimatedTimeRemaining === null || (typeof view.estimatedTimeRemaining === 'number' && view.estimatedTimeRemaining >= 0)).toBe(true);
  expect(view.createdAt).toMatch(ISO_TIME);
  for (const time of [view.startedAt, view.completedAt]) if (time !== null) expect(time).toMatch(ISO_TIME);
  for (const text of [view.errorCode, view.errorMessage]) expect(text === null || typeof text === 'string').toBe(true);
  expect(Number.isInteger(view.attempts)).toBe(true);
}

function expectStatistics(stats: unknown, totalRows: number, format: 'csv' | 'xlsx'): void {
  const s = stats as Record<string, unknown> & { sheets: Record<string, unknown>[] };
  expect(sortedKeys(s)).toEqual(format === 'csv' ? SHAPES.csvStatistics : SHAPES.statistics);
  expect(s.totalRows).toBe(totalRows);
  expect((s.cleanedRows as number) + (s.exceptionRows as number)).toBe(totalRows);
  expect(s.format).toBe(format);
  expect(typeof s.processingTimeMs).toBe('number');
  for (const sheet of s.sheets) expect(sortedKeys(sheet)).toEqual(SHAPES.sheetStatistics);
}

function expectFileSummary(file: Record<string, unknown>): void {
  expect(sortedKeys(file)).toEqual(SHAPES.fileSummary);
  expect(file.id).toMatch(UUID);
  expect(file.jobId).toMatch(UUID);
  for (const key of ['size', 'totalRows', 'cleanedRows', 'exceptionRows']) expect(Number.isInteger(file[key])).toBe(true);
  expect(file.uploadedAt).toMatch(ISO_TIME);
  for (const key of ['enqueuedAt', 'startedAt', 'completedAt']) if (file[key] !== null) expect(file[key]).toMatch(ISO_TIME);
}

describe.each(testDatabases())('HTTP API on $name', ({ name }) => {
  let scratch: IsolatedDatabase;
  /** API with an in-process worker: async uploads complete. */
  let app: TestApp;
  /** API without a worker (until a held worker is attached): uploads stay pending. */
  let idle: TestApp;
  /** The fixture uploaded async to `app` and completed. */
  let done: Uploaded;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(name);
    app = await startTestApp({ databaseUrl: scratch.url, redisUrl: REDIS_URL, worker: true });
    idle = await startTestApp({ databaseUrl: scratch.url, redisUrl: REDIS_URL, env: { BATCH_SIZE: '100' } });
    const res = await uploadContent<Uploaded>(app.baseUrl, '客户.csv', FIXTURE_CSV);
    expect(res.status).toBe(202);
    done = res.body;
    await waitForStatus(app, done.taskId, ['completed']);
  });

  afterAll(async () => {
    await idle?.close();
    await app?.close();
    await scratch?.drop();
  });

  describe('upload', () => {
    it('async: 202 with taskId = jobId and status pending, answered before any processing', async () => {
      const res = await uploadContent<Uploaded>(idle.baseUrl, 'people.csv', peopleCsv(20));
      expect(res.status).toBe(202);
      expect(sortedKeys(res.body)).toEqual(SHAPES.asyncUpload);
      expect(res.body).toMatchObject({ status: 'pending', message: '文件上传成功，开始处理' });
      expect(res.body.taskId).toMatch(UUID);
      expect(res.body.jobId).toBe(res.body.taskId);
      expect(res.body.fileId).toMatch(UUID);
      expect(res.headers.get('server-timing')).toMatch(/^receive;dur=\d+\.\d\d, after-receive;dur=\d+\.\d\d$/);

      const view = await checkStatus(idle, res.body.taskId);
      expectWellFormedStatus(view);
      expect(view).toMatchObject({
        status: 'pending',
        progress: 0,
        processedRows: 0,
        currentPhase: 'queued',
        statistics: null,
        startedAt: null,
        completedAt: null,
        attempts: 0,
        fileName: 'people.csv',
      });
      const stats = await call<{ counts: { waiting: number }; workers: number }>(idle.baseUrl, '/api/queue/stats');
      expect(stats.body.counts.waiting).toBeGreaterThanOrEqual(1);
      expect(stats.body.workers).toBe(0);
      // Nobody consumes this queue: the task stays pending and no row is written.
      await new Promise((r) => setTimeout(r, 300));
      expect((await checkStatus(idle, res.body.taskId)).status).toBe('pending');
      expect(await idle.db.countResults(res.body.jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
      const record = await idle.db.getFileRecordByJobId(res.body.jobId);
      expect(record?.enqueuedAt).toBeInstanceOf(Date);
      // Cleanup for later tests of the idle app: nothing else may be waiting in its queue.
      expect((await call(idle.baseUrl, `${API}/tasks/${res.body.taskId}/cancel`, { method: 'POST' })).status).toBe(200);
    });

    it('sync: 200 with totalRows and statistics once the rows are stored', async () => {
      const res = await uploadContent<{ jobId: string; fileId: string; message: string; totalRows: number; statistics: Record<string, unknown> }>(
        app.baseUrl,
        '客户.csv',
        FIXTURE_CSV,
        { mode: 'sync' },
      );
      expect(res.status).toBe(200);
      expect(sortedKeys(res.body)).toEqual(SHAPES.syncUpload);
      expect(res.body.message).toBe('文件处理完成');
      expect(res.body.jobId).toMatch(UUID);
      expect(res.body.totalRows).toBe(5);
      expectStatistics(res.body.statistics, 5, 'csv');
      expect(res.body.statistics).toMatchObject({
        cleanedRows: 4,
        exceptionRows: 1,
        errorsByType: { INVALID_PHONE: 1, INVALID_DATE: 1 },
        errorsByField: { 手机号: 1, 出生日期: 1 },
        encoding: 'utf-8',
        delimiter: ',',
      });
      expect(await app.db.countResults(res.body.jobId)).toEqual({ cleanRows: 4, exceptionRows: 1 });
      const record = await app.db.getFileRecordByJobId(res.body.jobId);
      expect(record).toMatchObject({ status: 'completed', totalRows: 5, cleanedRows: 4, exceptionRows: 1, id: res.body.fileId });
    });

    it('sync and async give the same rows, statistics and export files (R10.1–10.3)', async () => {
      const sync = await uploadContent<{ jobId: string; statistics: Record<string, unknown> }>(app.baseUrl, '客户.csv', FIXTURE_CSV, { mode: 'sync' });
      const asyncDone = await checkStatus(app, done.taskId);
      const { processingTimeMs: _a, ...syncStats } = sync.body.statistics;
      const { processingTimeMs: _b, ...asyncStats } = asyncDone.statistics ?? {};
      expect(syncStats).toEqual(asyncStats);
      for (const path of ['data/clean', 'data/exceptions']) {
        const a = await call<Record<string, unknown>>(app.baseUrl, `${API}/${path}/${sync.body.jobId}`);
        const b = await call<Record<string, unknown>>(app.baseUrl, `${API}/${path}/${done.jobId}`);
        expect({ ...a.body, jobId: '' }).toEqual({ ...b.body, jobId: '' });
      }
      for (const kind of ['clean', 'exceptions']) {
        const a = await download(app.baseUrl, `${API}/download/${kind}/${sync.body.jobId}?format=csv`);
        const b = await download(app.baseUrl, `${API}/download/${kind}/${done.jobId}?format=csv`);
        expect(a.content.equals(b.content)).toBe(true);
      }
    });

    it('xlsx upload: all columns cleaned, statistics without CSV fields', async () => {
      const workbook = await xlsxBytes([
        ['姓名', '手机号'],
        ['张三', '138 1234 5678'],
        ['李四', '123'],
      ]);
      const res = await uploadContent<{ jobId: string; totalRows: number; statistics: Record<string, unknown> }>(app.baseUrl, 'book.xlsx', workbook, {
        mode: 'sync',
      });
      expect(res.status).toBe(200);
      expectStatistics(res.body.statistics, 2, 'xlsx');
      const record = await app.db.getFileRecordByJobId(res.body.jobId);
      expect(record).toMatchObject({
        fileType: 'xlsx',
        mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        cleanedRows: 1,
        exceptionRows: 1,
      });
    });

    it('columnTypes overrides detection', async () => {
      const csv = csvText([
        ['联系', '说明'],
        ['13812345678', 'x'],
        ['abc', 'y'],
      ]);
      const detected = await uploadContent<{ statistics: { sheets: { types: string[] }[]; exceptionRows: number } }>(app.baseUrl, 'a.csv', csv, {
        mode: 'sync',
      });
      expect(detected.body.statistics.exceptionRows).toBe(0);
      const forced = await uploadContent<{ statistics: { sheets: { types: string[] }[]; exceptionRows: number } }>(app.baseUrl, 'a.csv', csv, {
        mode: 'sync',
        columnTypes: { 联系: 'phone' },
      });
      expect(forced.status).toBe(200);
      expect(forced.body.statistics.sheets[0].types).toEqual(['phone', 'text']);
      expect(forced.body.statistics.exceptionRows).toBe(1);
    });
  });

  describe('status and results of a completed task', () => {
    it('status/:jobId keeps the original shape', async () => {
      const res = await call(app.baseUrl, `${API}/status/${done.jobId}`);
      expect(res.status).toBe(200);
      expect(sortedKeys(res.body)).toEqual(SHAPES.statusCompleted);
      expect(res.body).toMatchObject({ jobId: done.jobId, status: 'completed', progress: 100 });
      expectStatistics(res.body.statistics, 5, 'csv');
    });

    it('check-status: completed with every R5 field', async () => {
      const view = await checkStatus(app, done.taskId);
      expectWellFormedStatus(view);
      expect(view).toMatchObject({
        taskId: done.taskId,
        fileId: done.fileId,
        fileName: '客户.csv',
        status: 'completed',
        progress: 100,
        processedRows: 5,
        totalRows: 5,
        totalIsEstimate: false,
        currentPhase: 'done',
        estimatedTimeRemaining: 0,
        errorCode: null,
        errorMessage: null,
        attempts: 1,
      });
      expectStatistics(view.statistics, 5, 'csv');
      expect(view.startedAt).not.toBeNull();
      expect(view.completedAt).not.toBeNull();
      expect(Date.parse(view.createdAt ?? '')).toBeLessThanOrEqual(Date.parse(view.startedAt ?? ''));
      expect(Date.parse(view.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(view.completedAt ?? ''));
    });

    it('files and files/:fileId', async () => {
      const list = await call<{ files: Record<string, unknown>[]; total: number; page: number; pageSize: number }>(app.baseUrl, `${API}/files?pageSize=100`);
      expect(list.status).toBe(200);
      expect(sortedKeys(list.body)).toEqual(SHAPES.fileList);
      expect(list.body).toMatchObject({ page: 1, pageSize: 100 });
      expect(list.body.total).toBe(list.body.files.length);
      for (const file of list.body.files) expectFileSummary(file);
      expect(list.body.files.map((f) => f.id)).toContain(done.fileId);

      const detail = await call<{ file: Record<string, unknown>; statistics: unknown }>(app.baseUrl, `${API}/files/${done.fileId}`);
      expect(detail.status).toBe(200);
      expect(sortedKeys(detail.body)).toEqual(SHAPES.fileDetail);
      expectFileSummary(detail.body.file);
      expect(detail.body.file).toMatchObject({
        id: done.fileId,
        jobId: done.jobId,
        originalName: '客户.csv',
        size: FIXTURE_CSV.length,
        fileType: 'csv',
        mimeType: 'text/csv',
        status: 'completed',
        totalRows: 5,
        cleanedRows: 4,
        exceptionRows: 1,
        errorCode: null,
        errorMessage: null,
      });
      expectStatistics(detail.body.statistics, 5, 'csv');
    });

    it('data/clean: values keyed by output column, row numbers as the user sees them', async () => {
      const res = await call<{
        jobId: string;
        columns: string[];
        data: { rowNumber: number; sheetName: string; values: Record<string, string> }[];
        total: number;
        page: number;
        pageSize: number;
      }>(app.baseUrl, `${API}/data/clean/${done.jobId}`);
      expect(res.status).toBe(200);
      expect(sortedKeys(res.body)).toEqual(SHAPES.cleanPage);
      expect(res.body).toMatchObject({ jobId: done.jobId, total: 4, page: 1, pageSize: 20 });
      expect(res.body.columns).toEqual(['姓名', '手机号', '出生日期', '地址_省', '地址_市', '地址_区', '地址_详细地址', '备注']);
      for (const row of res.body.data) {
        expect(sortedKeys(row)).toEqual(SHAPES.cleanRow);
        expect(Object.keys(row.values)).toEqual(res.body.columns);
      }
      expect(res.body.data.map((r) => r.rowNumber)).toEqual([2, 3, 4, 6]);
      expect(res.body.data[1]).toEqual({
        rowNumber: 3,
        sheetName: 'Sheet1',
        values: {
          姓名: '李四',
          手机号: '13812345678',
          出生日期: '1985-03-02',
          地址_省: '北京市',
          地址_市: '北京市',
          地址_区: '朝阳区',
          地址_详细地址: '建国路88号',
          备注: '手机有空格',
        },
      });
      expect(res.body.data[3].values.姓名).toBe('钱七');
    });

    it('data/exceptions: original values keyed by header, every failing field, the reason', async () => {
      const res = await call<{
        columns: string[];
        data: { rowNumber: number; originalData: Record<string, string>; errors: Record<string, string>[]; reason: string }[];
        total: number;
      }>(app.baseUrl, `${API}/data/exceptions/${done.jobId}`);
      expect(res.status).toBe(200);
      expect(sortedKeys(res.body)).toEqual(SHAPES.cleanPage);
      expect(res.body.columns).toEqual(['姓名', '手机号', '出生日期', '地址', '备注']);
      expect(res.body.total).toBe(1);
      const [row] = res.body.data;
      expect(sortedKeys(row)).toEqual(SHAPES.exceptionRow);
      expect(row).toMatchObject({
        rowNumber: 5,
        sheetName: 'Sheet1',
        originalData: { 姓名: '赵六', 手机号: '12345', 出生日期: 'abc', 地址: '我家的地址是浙江省杭州市西湖区文三路', 备注: '手机和日期无效' },
      });
      expect(row.errors.map((e) => [e.field, e.value, e.errorType])).toEqual([
        ['手机号', '12345', 'INVALID_PHONE'],
        ['出生日期', 'abc', 'INVALID_DATE'],
      ]);
      for (const error of row.errors) expect(sortedKeys(error)).toEqual(SHAPES.fieldError);
      expect(row.reason).toContain('手机号');
      expect(row.reason).toContain('出生日期');
    });

    it('data pages: page and pageSize slice the rows without overlap', async () => {
      const seen: number[] = [];
      for (let page = 1; page <= 3; page++) {
        const res = await call<{ data: { rowNumber: number }[]; total: number; page: number; pageSize: number }>(
          app.baseUrl,
          `${API}/data/clean/${done.jobId}?page=${page}&pageSize=2`,
        );
        expect(res.body).toMatchObject({ total: 4, page, pageSize: 2 });
        seen.push(...res.body.data.map((r) => r.rowNumber));
      }
      expect(seen).toEqual([2, 3, 4, 6]);
    });

    it.each([
      ['clean', 'xlsx'],
      ['clean', 'csv'],
      ['exceptions', 'xlsx'],
      ['exceptions', 'csv'],
    ] as const)('download/%s as %s: headers, and content equal to the stored rows', async (kind, format) => {
      const res = await download(app.baseUrl, `${API}/download/${kind}/${done.jobId}?format=${format}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      );
      const fileName = `${kind === 'clean' ? 'clean_data' : 'exception_data'}_${done.jobId}.${format}`;
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${fileName}"`);
      let rows: string[][];
      if (format === 'csv') {
        const parsed = readCsvRows(res.content);
        expect(parsed.bom).toBe(true);
        rows = parsed.rows;
      } else {
        rows = await readXlsxRows(res.content);
      }
      const record = await app.db.getFileRecordByJobId(done.jobId);
      const layout = record?.layout?.[0];
      if (kind === 'clean') {
        const stored = await app.db.cleanRows(done.jobId, { page: 1, pageSize: 100 });
        expect(rows).toEqual([layout?.cleanColumns, ...stored.rows.map((r) => r.values)]);
      } else {
        const stored = await app.db.exceptionRows(done.jobId, { page: 1, pageSize: 100 });
        expect(rows).toEqual([['行号', ...(layout?.headers ?? []), '异常原因'], ...stored.rows.map((r) => [String(r.rowNumber), ...r.values, r.reason])]);
      }
    });

    it('download defaults to xlsx', async () => {
      const res = await download(app.baseUrl, `${API}/download/clean/${done.jobId}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="clean_data_${done.jobId}.xlsx"`);
      expect(res.content.subarray(0, 2).toString('latin1')).toBe('PK');
    });

    it('events: a finished task sends its final state at once and closes', async () => {
      const sse = await readSse(`${app.baseUrl}${API}/events/${done.taskId}`);
      expect(sse.status).toBe(200);
      expect(sse.contentType).toMatch(/^text\/event-stream/);
      expect(sse.events).toHaveLength(1);
      expect(sse.events[0].event).toBe('progress');
      const view = JSON.parse(sse.events[0].data) as CheckStatus;
      expectWellFormedStatus(view);
      expect(view).toEqual(await checkStatus(app, done.taskId));
    });
  });

  describe('live progress', () => {
    it('events: progress events until completed, then the stream closes', async () => {
      const res = await uploadContent<Uploaded>(app.baseUrl, 'people.csv', peopleCsv(3000));
      const sse = await readSse(`${app.baseUrl}${API}/events/${res.body.taskId}`);
      expect(sse.contentType).toMatch(/^text\/event-stream/);
      expect(sse.events.length).toBeGreaterThanOrEqual(1);
      expect(sse.events.every((e) => e.event === 'progress')).toBe(true);
      const views = sse.events.map((e) => JSON.parse(e.data) as CheckStatus);
      views.forEach(expectWellFormedStatus);
      expect(views.at(-1)).toMatchObject({ status: 'completed', progress: 100, processedRows: 3000, currentPhase: 'done' });
      expect(views.slice(0, -1).every((v) => v.status === 'pending' || v.status === 'processing')).toBe(true);
      const progress = views.map((v) => v.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(await app.db.countResults(res.body.jobId)).toEqual({ cleanRows: 3000 - 429, exceptionRows: 429 });
    });
  });

  describe('a failed task (a corrupted sheet)', () => {
    let failed: Uploaded;

    beforeAll(async () => {
      const res = await uploadContent<Uploaded>(app.baseUrl, 'broken.xlsx', await brokenSheetXlsxBytes());
      expect(res.status).toBe(202);
      failed = res.body;
      await waitForStatus(app, failed.taskId, ['failed']);
    });

    it('check-status: failed with the error stored', async () => {
      const view = await checkStatus(app, failed.taskId);
      expectWellFormedStatus(view);
      expect(view).toMatchObject({ status: 'failed', errorCode: 'CORRUPTED_FILE', statistics: null, attempts: 1 });
      expect(view.errorMessage).toEqual(expect.any(String));
      expect(view.completedAt).not.toBeNull();
      const status = await call(app.baseUrl, `${API}/status/${failed.jobId}`);
      expect(sortedKeys(status.body)).toEqual(SHAPES.status);
      expect(status.body).toMatchObject({ jobId: failed.jobId, status: 'failed' });
      const detail = await call<{ file: Record<string, unknown>; statistics: unknown }>(app.baseUrl, `${API}/files/${failed.fileId}`);
      expect(detail.body).toMatchObject({ file: { status: 'failed', errorCode: 'CORRUPTED_FILE' }, statistics: null });
    });

    it('queue stats count the failure', async () => {
      const res = await call<{
        counts: Record<string, number>;
        workers: number;
        throughput: Record<string, number>;
        errorRate: number;
        recentFailures: Record<string, unknown>[];
        timestamp: string;
      }>(app.baseUrl, '/api/queue/stats');
      expect(res.status).toBe(200);
      expect(sortedKeys(res.body)).toEqual(SHAPES.queueStats);
      expect(sortedKeys(res.body.counts)).toEqual(SHAPES.queueCounts);
      for (const count of Object.values(res.body.counts)) expect(Number.isInteger(count)).toBe(true);
      expect(res.body.workers).toBe(1);
      expect(sortedKeys(res.body.throughput)).toEqual(['jobsPerMinute', 'rowsPerSecond']);
      expect(res.body.throughput.jobsPerMinute).toBeGreaterThan(0);
      expect(res.body.errorRate).toBeGreaterThan(0);
      expect(res.body.errorRate).toBeLessThanOrEqual(1);
      expect(res.body.timestamp).toMatch(ISO_TIME);
      const failure = res.body.recentFailures.find((f) => f.taskId === failed.taskId);
      expect(failure).toBeDefined();
      expect(sortedKeys(failure)).toEqual(SHAPES.recentFailure);
      expect(failure).toMatchObject({ fileName: 'broken.xlsx', status: 'failed', errorCode: 'CORRUPTED_FILE' });
    });

    it('downloads are refused until completion', async () => {
      for (const path of [`download/clean/${failed.jobId}`, `download/exceptions/${failed.jobId}?format=csv`]) {
        expectError(await call(app.baseUrl, `${API}/${path}`), 409, 'INVALID_STATE');
      }
    });

    it('cancel is refused; retry puts it back in the queue, and it fails again', async () => {
      expectError(await call(app.baseUrl, `${API}/tasks/${failed.taskId}/cancel`, { method: 'POST' }), 409, 'INVALID_STATE');
      const retry = await call(app.baseUrl, `${API}/tasks/${failed.taskId}/retry`, { method: 'POST' });
      expect(retry.status).toBe(200);
      expect(sortedKeys(retry.body)).toEqual(SHAPES.taskAction);
      expect(retry.body).toMatchObject({ taskId: failed.taskId, status: 'pending', message: '任务已重新排队' });
      const again = await eventually(async () => {
        const view = await checkStatus(app, failed.taskId);
        return view.status === 'failed' && view.attempts === 2 ? view : undefined;
      }, 'the retried task to fail again');
      expect(again.errorCode).toBe('CORRUPTED_FILE');
    });
  });

  describe('task life cycle with a held worker', () => {
    let task: Uploaded;
    let held: HeldWorker | undefined;
    const ROWS = 500;

    afterAll(async () => {
      await held?.close();
    });

    it('pending: downloads refused, retry refused, cancel accepted once', async () => {
      task = (await uploadContent<Uploaded>(idle.baseUrl, 'people.csv', peopleCsv(ROWS))).body;
      expectError(await call(idle.baseUrl, `${API}/download/clean/${task.jobId}?format=csv`), 409, 'INVALID_STATE');
      expectError(await call(idle.baseUrl, `${API}/tasks/${task.taskId}/retry`, { method: 'POST' }), 409, 'INVALID_STATE');
      const page = await call<{ data: unknown[]; total: number; columns: string[] }>(idle.baseUrl, `${API}/data/clean/${task.jobId}`);
      expect(page.body).toMatchObject({ data: [], total: 0, columns: [] });

      const cancel = await call(idle.baseUrl, `${API}/tasks/${task.taskId}/cancel`, { method: 'POST' });
      expect(cancel.status).toBe(200);
      expect(sortedKeys(cancel.body)).toEqual(SHAPES.taskAction);
      expect(cancel.body).toMatchObject({ taskId: task.taskId, status: 'cancelled', message: '任务已取消' });
      const view = await checkStatus(idle, task.taskId);
      expectWellFormedStatus(view);
      expect(view).toMatchObject({ status: 'cancelled', errorCode: 'CANCELLED' });
      expect(view.completedAt).not.toBeNull();
      expect((await idle.queue?.getJob(task.jobId)) ?? null).toBeNull();
      expectError(await call(idle.baseUrl, `${API}/tasks/${task.taskId}/cancel`, { method: 'POST' }), 409, 'INVALID_STATE');
      const sse = await readSse(`${idle.baseUrl}${API}/events/${task.taskId}`);
      expect(sse.events.map((e) => (JSON.parse(e.data) as CheckStatus).status)).toEqual(['cancelled']);
    });

    it('retry of a cancelled task: pending again', async () => {
      const retry = await call(idle.baseUrl, `${API}/tasks/${task.taskId}/retry`, { method: 'POST' });
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ taskId: task.taskId, status: 'pending' });
      const view = await checkStatus(idle, task.taskId);
      expect(view).toMatchObject({ status: 'pending', completedAt: null, currentPhase: 'queued' });
      expect((await idle.queue?.counts())?.waiting).toBe(1);
    });

    it('processing: a worker holds the task; check-status, status and events show it', async () => {
      held = startHeldWorker(idle);
      await held.gate.reached;
      const view = await waitForStatus(idle, task.taskId, ['processing']);
      expectWellFormedStatus(view);
      expect(view.startedAt).not.toBeNull();
      expect(view.completedAt).toBeNull();
      expect(view.attempts).toBe(1);
      expect(view.progress).toBeLessThan(100);
      expect(['parsing', 'cleaning', 'saving']).toContain(view.currentPhase);
      const status = await call(idle.baseUrl, `${API}/status/${task.jobId}`);
      expect(sortedKeys(status.body)).toEqual(SHAPES.status);
      expect(status.body).toMatchObject({ status: 'processing' });
      expectError(await call(idle.baseUrl, `${API}/tasks/${task.taskId}/retry`, { method: 'POST' }), 409, 'INVALID_STATE');
      expectError(await call(idle.baseUrl, `${API}/download/exceptions/${task.jobId}`), 409, 'INVALID_STATE');
    });

    it('cancel while processing: the stream ends with cancelled, the worker stops, no row is kept', async () => {
      if (!held) throw new Error('previous step failed');
      // The first event is sent once the stream is subscribed: from then on no change is missed.
      const stream = openSse(`${idle.baseUrl}${API}/events/${task.taskId}`);
      await stream.subscribed;
      const cancel = await call(idle.baseUrl, `${API}/tasks/${task.taskId}/cancel`, { method: 'POST' });
      expect(cancel.status).toBe(200);
      const sse = await stream.done;
      const statuses = sse.events.map((e) => (JSON.parse(e.data) as CheckStatus).status);
      expect(statuses[0]).toBe('processing');
      expect(statuses.at(-1)).toBe('cancelled');
      held.gate.open();
      expect(await held.finished(task.jobId)).toBe('cancelled');
      expect(await idle.db.countResults(task.jobId)).toEqual({ cleanRows: 0, exceptionRows: 0 });
      const final = await checkStatus(idle, task.taskId);
      expect(final.status).toBe('cancelled');
      // It keeps showing how far it got, never an ETA.
      const lastRunning = sse.events
        .map((e) => JSON.parse(e.data) as CheckStatus)
        .filter((v) => v.status === 'processing')
        .at(-1)!;
      expect(final.currentPhase).toBe(lastRunning.currentPhase);
      expect(final.currentPhase).not.toBe('queued');
      expect(final.processedRows).toBe(lastRunning.processedRows);
      expect(final.estimatedTimeRemaining).toBeNull();
    });

    it('retry after cancel: completes with exactly one set of rows', async () => {
      if (!held) throw new Error('previous step failed');
      expect((await call(idle.baseUrl, `${API}/tasks/${task.taskId}/retry`, { method: 'POST' })).status).toBe(200);
      expect(await held.finished(task.jobId, 2)).toBe('completed');
      const view = await checkStatus(idle, task.taskId);
      expect(view).toMatchObject({
        status: 'completed',
        progress: 100,
        processedRows: ROWS,
        totalRows: ROWS,
        attempts: 2,
        errorCode: null,
        errorMessage: null,
      });
      const exceptions = Math.ceil((ROWS - 3) / 7);
      expect(await idle.db.countResults(task.jobId)).toEqual({ cleanRows: ROWS - exceptions, exceptionRows: exceptions });
      expect(view.statistics).toMatchObject({ totalRows: ROWS, cleanedRows: ROWS - exceptions, exceptionRows: exceptions });
      expectError(await call(idle.baseUrl, `${API}/tasks/${task.taskId}/cancel`, { method: 'POST' }), 409, 'INVALID_STATE');
      expectError(await call(idle.baseUrl, `${API}/tasks/${task.taskId}/retry`, { method: 'POST' }), 409, 'INVALID_STATE');
    });
  });

  describe('preview', () => {
    it('answers headers, detected types and sample rows; stores nothing', async () => {
      const before = await call<{ total: number }>(app.baseUrl, `${API}/files`);
      const uploadsBefore = await storedUploads(app);
      const truncated = FIXTURE_CSV.subarray(0, FIXTURE_CSV.indexOf('王五') + 3);
      const res = await postForm<{ format: string; sheets: { name: string; headers: string[]; detectedTypes: string[]; sampleRows: string[][] }[] }>(
        app.baseUrl,
        `${API}/preview`,
        [{ name: 'file', value: truncated, filename: '客户.csv' }],
      );
      expect(res.status).toBe(200);
      expect(sortedKeys(res.body)).toEqual(SHAPES.preview);
      expect(res.body.format).toBe('csv');
      expect(res.body.sheets).toHaveLength(1);
      expect(sortedKeys(res.body.sheets[0])).toEqual(SHAPES.previewSheet);
      expect(res.body.sheets[0].headers).toEqual(['姓名', '手机号', '出生日期', '地址', '备注']);
      expect(res.body.sheets[0].detectedTypes).toEqual(['text', 'phone', 'date', 'address', 'text']);
      expect(res.body.sheets[0].sampleRows[0]).toEqual(['张三', '13812345678', '1990-05-17', '江苏省南京市玄武区中山路1号', '正常']);
      expect((await call<{ total: number }>(app.baseUrl, `${API}/files`)).body.total).toBe(before.body.total);
      expect(await storedUploads(app)).toEqual(uploadsBefore);
    });
  });

  describe('configuration, health, metrics, dashboard', () => {
    it('/api/config', async () => {
      const res = await call(app.baseUrl, '/api/config');
      expect(res.status).toBe(200);
      expect(sortedKeys(res.body)).toEqual(SHAPES.config);
      expect(res.body).toEqual({
        maxFileSize: 524_288_000,
        acceptedExtensions: ['.xlsx', '.xls', '.csv'],
        columnTypes: [...COLUMN_TYPES],
        authRequired: false,
        version: 'test',
      });
    });

    it('/health/live and /health/ready', async () => {
      const live = await call(app.baseUrl, '/health/live');
      expect({ status: live.status, body: live.body }).toEqual({ status: 200, body: { status: 'ok' } });
      const ready = await call<{ status: string; checks: Record<string, { status: string; latencyMs: number }> }>(app.baseUrl, '/health/ready');
      expect(ready.status).toBe(200);
      expect(sortedKeys(ready.body)).toEqual(SHAPES.ready);
      expect(ready.body.status).toBe('ok');
      expect(sortedKeys(ready.body.checks)).toEqual(['database', 'redis']);
      for (const check of Object.values(ready.body.checks)) {
        expect(check.status).toBe('ok');
        expect(typeof check.latencyMs).toBe('number');
      }
    });

    it('/metrics in Prometheus text format', async () => {
      const res = await call(app.baseUrl, '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.text).toMatch(/^# HELP dcs_uploads_total /m);
      expect(res.text).toMatch(/^# TYPE dcs_http_request_duration_seconds histogram$/m);
      expect(res.text).toMatch(/^dcs_uploads_total\{mode="async"\} [1-9]\d*$/m);
      expect(res.text).toMatch(/^dcs_queue_jobs\{[^}]*state="completed"[^}]*\} \d+$/m);
      for (const line of res.text.split('\n').filter((l) => l && !l.startsWith('#'))) {
        expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([-+0-9.eE]+|NaN|[+-]Inf)$/);
      }
    });

    it('/admin/queues is served on localhost', async () => {
      const res = await call(app.baseUrl, '/admin/queues');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.text).toContain('<base href="/admin/queues/"');
    });
  });

  it('unknown routes answer the common error body', async () => {
    const res: ApiResponse = await call(app.baseUrl, '/api/data-cleaning/nope');
    expectError(res, 404, 'NOT_FOUND');
  });
});
