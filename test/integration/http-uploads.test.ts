/**
 * What the API refuses, over real HTTP on every dialect: the upload rejections of R1.4 (nothing
 * stored afterwards), malformed and unknown ids, bad query parameters, the API token, the §7
 * security rules (generated storage names, CSV formula neutralization) and the behaviour without
 * a reachable or configured Redis.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import {
  bearer,
  brokenSheetXlsxBytes,
  call,
  csvText,
  docxBytes,
  download,
  eventually,
  expectError,
  fileStoreOf,
  PDF_BYTES,
  PNG_BYTES,
  postForm,
  readCsvRows,
  readSse,
  REDIS_URL,
  startAppWithDeadRedis,
  storedUploads,
  truncatedXlsxBytes,
  uploadContent,
  xlsxBytes,
  type ApiResponse,
} from '../support/http-client.js';
import { freePort } from '../support/redis-server.js';

const API = '/api/data-cleaning';
const MAX_FILE_SIZE = 16 * 1024;
const TOKEN = 'test-token-5f1c';
const PEOPLE = csvText([
  ['姓名', '手机号'],
  ['张三', '13812345678'],
  ['李四', '123'],
]);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const MALFORMED_IDS = ['not-a-uuid', '12345', `${'a'.repeat(200)}`, '00000000-0000-4000-8000-00000000000g', '..%2F..%2Fetc%2Fpasswd'];

/** Every route that takes an id, with the 404 code of an unknown one. */
const ID_ROUTES: { method: 'GET' | 'POST'; path: (id: string) => string; notFound: string }[] = [
  { method: 'GET', path: (id) => `${API}/status/${id}`, notFound: 'JOB_NOT_FOUND' },
  { method: 'GET', path: (id) => `${API}/check-status/${id}`, notFound: 'JOB_NOT_FOUND' },
  { method: 'GET', path: (id) => `${API}/events/${id}`, notFound: 'JOB_NOT_FOUND' },
  { method: 'GET', path: (id) => `${API}/data/clean/${id}`, notFound: 'JOB_NOT_FOUND' },
  { method: 'GET', path: (id) => `${API}/data/exceptions/${id}`, notFound: 'JOB_NOT_FOUND' },
  { method: 'GET', path: (id) => `${API}/download/clean/${id}`, notFound: 'JOB_NOT_FOUND' },
  { method: 'GET', path: (id) => `${API}/download/exceptions/${id}?format=csv`, notFound: 'JOB_NOT_FOUND' },
  { method: 'POST', path: (id) => `${API}/tasks/${id}/cancel`, notFound: 'JOB_NOT_FOUND' },
  { method: 'POST', path: (id) => `${API}/tasks/${id}/retry`, notFound: 'JOB_NOT_FOUND' },
  { method: 'GET', path: (id) => `${API}/files/${id}`, notFound: 'FILE_NOT_FOUND' },
];

const BAD_QUERIES = [
  `${API}/files?page=0`,
  `${API}/files?page=-1`,
  `${API}/files?page=abc`,
  `${API}/files?page=1.5`,
  `${API}/files?pageSize=0`,
  `${API}/files?pageSize=101`,
  `${API}/files?status=done`,
  `${API}/files?sortBy=name`,
  `${API}/files?order=up`,
  `${API}/files?startDate=yesterday`,
  `${API}/files?startDate=2026-02-30`,
  `${API}/files?endDate=2026-13-01`,
  `${API}/files?endDate=1`,
  `${API}/files?startDate=2026`,
  `${API}/files?startDate=2026-11-27T10:00`,
  `${API}/data/clean/${UNKNOWN_ID}?page=0`,
  `${API}/data/exceptions/${UNKNOWN_ID}?pageSize=1000`,
  `${API}/download/clean/${UNKNOWN_ID}?format=pdf`,
];

interface Uploaded {
  taskId: string;
  jobId: string;
  fileId: string;
}

describe.each(testDatabases())('HTTP refusals and security on $name', ({ name }) => {
  let limitedScratch: IsolatedDatabase;
  let scratch: IsolatedDatabase;
  /** MAX_FILE_SIZE = 16 KiB, no worker; its database only ever sees rejected uploads. */
  let limited: TestApp;
  /** API_TOKEN set, with a worker. */
  let secured: TestApp;

  beforeAll(async () => {
    limitedScratch = await createIsolatedDatabase(name);
    scratch = await createIsolatedDatabase(name);
    limited = await startTestApp({ databaseUrl: limitedScratch.url, redisUrl: REDIS_URL, env: { MAX_FILE_SIZE: String(MAX_FILE_SIZE) } });
    secured = await startTestApp({ databaseUrl: scratch.url, redisUrl: REDIS_URL, worker: true, env: { API_TOKEN: TOKEN } });
  });

  afterAll(async () => {
    await limited?.close();
    await secured?.close();
    await limitedScratch?.drop();
    await scratch?.drop();
  });

  async function expectNothingStored(): Promise<void> {
    expect(await storedUploads(limited)).toEqual([]);
    expect((await limited.db.listFileRecords({ page: 1, pageSize: 10 })).total).toBe(0);
  }

  describe('upload rejections (R1.4): status, code, nothing stored', () => {
    it.each([
      ['a PNG named .csv', 'photo.csv', () => PNG_BYTES, 415, 'UNSUPPORTED_FILE_TYPE'],
      ['a PDF named .xlsx', 'report.xlsx', () => PDF_BYTES, 415, 'UNSUPPORTED_FILE_TYPE'],
      ['a Word document', 'letter.docx', docxBytes, 415, 'UNSUPPORTED_FILE_TYPE'],
      ['a Word document named .xlsx', 'letter.xlsx', docxBytes, 415, 'UNSUPPORTED_FILE_TYPE'],
      ['an empty file', 'empty.csv', () => Buffer.alloc(0), 400, 'EMPTY_FILE'],
      ['a file of blanks', 'blank.csv', () => Buffer.from(' \r\n\t\n'), 400, 'EMPTY_FILE'],
      ['a file over MAX_FILE_SIZE', 'big.csv', () => Buffer.from(`姓名\n${'张三\n'.repeat(MAX_FILE_SIZE)}`), 413, 'FILE_SIZE_EXCEEDED'],
      ['a file one byte over MAX_FILE_SIZE', 'big.csv', () => Buffer.alloc(MAX_FILE_SIZE + 1, 'a'), 413, 'FILE_SIZE_EXCEEDED'],
      ['a truncated xlsx', 'cut.xlsx', truncatedXlsxBytes, 422, 'CORRUPTED_FILE'],
    ] as const)('%s', async (_what, filename, content, status, code) => {
      const bytes = await content();
      for (const mode of ['async', 'sync'] as const) {
        expectError(await uploadContent(limited.baseUrl, filename, bytes, { mode }), status, code);
        await expectNothingStored();
      }
    });

    it('a file of exactly MAX_FILE_SIZE bytes is accepted', async () => {
      const exact = Buffer.from(`name\n${'a'.repeat(MAX_FILE_SIZE - 6)}\n`);
      expect(exact.length).toBe(MAX_FILE_SIZE);
      const res = await uploadContent<Uploaded>(limited.baseUrl, 'exact.csv', exact);
      expect(res.status).toBe(202);
      // Leave the limited app's database and upload folder empty again for the other tests.
      expect((await call(limited.baseUrl, `${API}/tasks/${res.body.taskId}/cancel`, { method: 'POST' })).status).toBe(200);
      const removed = await limited.db.deleteFileRecord(res.body.jobId);
      await fileStoreOf(limited).remove(removed?.storageKey ?? '');
      await expectNothingStored();
    });

    it('no file field, a file under another name, a non-multipart body', async () => {
      expectError(await postForm(limited.baseUrl, `${API}/upload`, [{ name: 'columnTypes', value: '{}' }]), 400, 'INVALID_REQUEST');
      expectError(await postForm(limited.baseUrl, `${API}/upload`, [{ name: 'upload', value: PEOPLE, filename: 'a.csv' }]), 400, 'INVALID_REQUEST');
      expectError(
        await call(limited.baseUrl, `${API}/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' }),
        400,
        'INVALID_REQUEST',
      );
      expectError(await call(limited.baseUrl, `${API}/upload`, { method: 'POST' }), 400, 'INVALID_REQUEST');
      await expectNothingStored();
    });

    it.each([
      ['not JSON', '{phone'],
      ['a JSON array', '["phone"]'],
      ['a JSON string', '"phone"'],
      ['an unknown type', '{"手机号":"mobile"}'],
      ['a non-string type', '{"手机号":1}'],
    ])('columnTypes that is %s', async (_what, columnTypes) => {
      expectError(await uploadContent(limited.baseUrl, 'a.csv', PEOPLE, { columnTypes }), 400, 'INVALID_COLUMN_TYPES');
      // The same field after the file part: the file is already stored when the field arrives.
      expectError(
        await postForm(limited.baseUrl, `${API}/upload?mode=sync`, [
          { name: 'file', value: PEOPLE, filename: 'a.csv' },
          { name: 'columnTypes', value: columnTypes },
        ]),
        400,
        'INVALID_COLUMN_TYPES',
      );
      await expectNothingStored();
    });

    it('an unknown mode', async () => {
      expectError(await uploadContent(limited.baseUrl, 'a.csv', PEOPLE, { mode: 'fast' as 'sync' }), 400, 'INVALID_REQUEST');
      await expectNothingStored();
    });

    it('preview refuses what upload refuses and stores nothing', async () => {
      expectError(await postForm(limited.baseUrl, `${API}/preview`, [{ name: 'file', value: PNG_BYTES, filename: 'a.csv' }]), 415, 'UNSUPPORTED_FILE_TYPE');
      expectError(await postForm(limited.baseUrl, `${API}/preview`, [{ name: 'file', value: Buffer.alloc(0), filename: 'a.csv' }]), 400, 'EMPTY_FILE');
      expectError(
        await postForm(limited.baseUrl, `${API}/preview`, [{ name: 'file', value: Buffer.alloc(MAX_FILE_SIZE + 10, 'a'), filename: 'a.csv' }]),
        413,
        'FILE_SIZE_EXCEEDED',
      );
      expectError(await postForm(limited.baseUrl, `${API}/preview`, [{ name: 'columnTypes', value: '{}' }]), 400, 'INVALID_REQUEST');
      await expectNothingStored();
    });
  });

  describe('ids and query parameters', () => {
    it.each(ID_ROUTES.map((r) => [`${r.method} ${r.path(':id')}`, r] as const))('%s: malformed → 400 INVALID_TASK_ID, unknown → 404', async (_label, route) => {
      for (const id of MALFORMED_IDS) {
        const res = await call(limited.baseUrl, route.path(id), { method: route.method });
        expectError(res, 400, 'INVALID_TASK_ID');
      }
      expectError(await call(limited.baseUrl, route.path(UNKNOWN_ID), { method: route.method }), 404, route.notFound);
    });

    it.each(BAD_QUERIES)('%s → 400 INVALID_REQUEST', async (path) => {
      expectError(await call(limited.baseUrl, path), 400, 'INVALID_REQUEST');
    });
  });

  describe('API_TOKEN', () => {
    let task: Uploaded;

    beforeAll(async () => {
      const res = await uploadContent<Uploaded>(secured.baseUrl, '名单.csv', PEOPLE, { token: TOKEN });
      expect(res.status).toBe(202);
      task = res.body;
      await eventually(async () => {
        const view = await call<{ status: string }>(secured.baseUrl, `${API}/check-status/${task.taskId}`, bearer(TOKEN));
        return view.body.status === 'completed' ? view : undefined;
      }, 'the upload to complete');
    });

    it('every /api route answers 401 without the token or with a wrong one', async () => {
      const routes: [string, string][] = [
        ['GET', `${API}/files`],
        ['GET', `${API}/files/${task.fileId}`],
        ['GET', `${API}/status/${task.jobId}`],
        ['GET', `${API}/check-status/${task.taskId}`],
        ['GET', `${API}/events/${task.taskId}`],
        ['GET', `${API}/data/clean/${task.jobId}`],
        ['GET', `${API}/data/exceptions/${task.jobId}`],
        ['GET', `${API}/download/clean/${task.jobId}`],
        ['GET', `${API}/download/exceptions/${task.jobId}?format=csv`],
        ['POST', `${API}/tasks/${task.taskId}/cancel`],
        ['POST', `${API}/tasks/${task.taskId}/retry`],
        ['GET', '/api/queue/stats'],
      ];
      for (const [method, path] of routes) {
        expectError(await call(secured.baseUrl, path, { method }), 401, 'UNAUTHORIZED');
        expectError(await call(secured.baseUrl, path, { method, headers: { authorization: 'Bearer wrong' } }), 401, 'UNAUTHORIZED');
        expectError(await call(secured.baseUrl, path, { method, headers: { authorization: `Basic ${TOKEN}` } }), 401, 'UNAUTHORIZED');
        const separator = path.includes('?') ? '&' : '?';
        expectError(await call(secured.baseUrl, `${path}${separator}token=wrong`, { method }), 401, 'UNAUTHORIZED');
      }
      const before = await storedUploads(secured);
      expectError(await uploadContent(secured.baseUrl, 'a.csv', PEOPLE), 401, 'UNAUTHORIZED');
      expectError(await uploadContent(secured.baseUrl, 'a.csv', PEOPLE, { token: 'wrong' }), 401, 'UNAUTHORIZED');
      expectError(await postForm(secured.baseUrl, `${API}/preview`, [{ name: 'file', value: PEOPLE, filename: 'a.csv' }]), 401, 'UNAUTHORIZED');
      expect(await storedUploads(secured)).toEqual(before);
    });

    it('the bearer token opens the API; ?token= only where headers cannot be sent', async () => {
      expect((await call(secured.baseUrl, `${API}/files`, bearer(TOKEN))).status).toBe(200);
      expect((await call(secured.baseUrl, '/api/queue/stats', bearer(TOKEN))).status).toBe(200);
      expectError(await call(secured.baseUrl, `${API}/files?token=${TOKEN}`), 401, 'UNAUTHORIZED');
      expectError(await call(secured.baseUrl, `${API}/check-status/${task.taskId}?token=${TOKEN}`), 401, 'UNAUTHORIZED');

      const sse = await readSse(`${secured.baseUrl}${API}/events/${task.taskId}?token=${TOKEN}`);
      expect(sse.status).toBe(200);
      expect(sse.events.map((e) => e.event)).toEqual(['progress']);
      const viaHeader = await readSse(`${secured.baseUrl}${API}/events/${task.taskId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(viaHeader.status).toBe(200);

      const file = await download(secured.baseUrl, `${API}/download/clean/${task.jobId}?format=csv&token=${TOKEN}`);
      expect(file.status).toBe(200);
      expect(readCsvRows(file.content).rows).toEqual([
        ['姓名', '手机号'],
        ['张三', '13812345678'],
      ]);
      expect((await download(secured.baseUrl, `${API}/download/exceptions/${task.jobId}?token=${encodeURIComponent(TOKEN)}`)).status).toBe(200);
    });

    it('config, health and metrics stay open', async () => {
      const config = await call(secured.baseUrl, '/api/config');
      expect(config.status).toBe(200);
      expect(config.body.authRequired).toBe(true);
      for (const path of ['/health/live', '/health/ready', '/metrics']) expect((await call(secured.baseUrl, path)).status).toBe(200);
    });

    it('/admin/queues needs the token (header, or ?token= then its cookie)', async () => {
      expectError(await call(secured.baseUrl, '/admin/queues'), 401, 'UNAUTHORIZED');
      expectError(await call(secured.baseUrl, '/admin/queues?token=wrong'), 401, 'UNAUTHORIZED');
      expect((await call(secured.baseUrl, '/admin/queues', bearer(TOKEN))).status).toBe(200);
      const viaQuery = await call(secured.baseUrl, `/admin/queues?token=${TOKEN}`);
      expect(viaQuery.status).toBe(200);
      const cookie = viaQuery.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      const cookiePair = cookie.split(';')[0];
      expect((await call(secured.baseUrl, '/admin/queues/api/queues', { headers: { cookie: cookiePair } })).status).toBe(200);
      // The dashboard cookie is for the dashboard only.
      expectError(await call(secured.baseUrl, `${API}/files`, { headers: { cookie: cookiePair } }), 401, 'UNAUTHORIZED');
    });
  });

  describe('security (§7)', () => {
    it.each([
      ['../../etc/passwd.csv', 'passwd.csv'],
      ['..\\..\\windows\\win.csv', 'win.csv'],
      ['\u0007名单\t\u0000.csv', '名单.csv'],
    ])('upload named %j: stored under a generated id, shown as %j', async (filename, shown) => {
      const before = new Set(await storedUploads(secured));
      const res = await uploadContent<Uploaded>(secured.baseUrl, filename, PEOPLE, { mode: 'sync', token: TOKEN });
      expect(res.status).toBe(200);
      const added = (await storedUploads(secured)).filter((f) => !before.has(f));
      expect(added).toHaveLength(1);
      expect(added[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const record = await secured.db.getFileRecordByJobId(res.body.jobId);
      expect(record?.storageKey).toBe(`uploads/${added[0]}`);
      expect(record?.originalName).toBe(shown);
      const detail = await call<{ file: { originalName: string } }>(secured.baseUrl, `${API}/files/${res.body.fileId}`, bearer(TOKEN));
      expect(detail.body.file.originalName).toBe(shown);
      // Nothing was written outside the data directory's own folders.
      expect((await readdir(secured.dataDir)).filter((f) => !['uploads', 'exports'].includes(f))).toEqual([]);
    });

    it('CSV downloads neutralize formulas; xlsx downloads hold them as text', async () => {
      const formula = "=cmd|' /C calc'!A0";
      const csv = csvText([
        ['备注', '手机号', '金额'],
        [formula, '13812345678', '-12.5'],
        ['@SUM(A1:A2)', '123', '+3'],
        ['+1+1', '13912345678', '-1+2'],
      ]);
      const res = await uploadContent<Uploaded>(secured.baseUrl, 'f.csv', csv, { mode: 'sync', token: TOKEN, columnTypes: { 备注: 'text', 金额: 'text' } });
      expect(res.status).toBe(200);
      const clean = readCsvRows((await download(secured.baseUrl, `${API}/download/clean/${res.body.jobId}?format=csv`, bearer(TOKEN))).content).rows;
      expect(clean).toEqual([
        ['备注', '手机号', '金额'],
        [`'${formula}`, '13812345678', '-12.5'],
        ["'+1+1", '13912345678', "'-1+2"],
      ]);
      const exceptions = readCsvRows((await download(secured.baseUrl, `${API}/download/exceptions/${res.body.jobId}?format=csv`, bearer(TOKEN))).content).rows;
      expect(exceptions[1].slice(0, 4)).toEqual(['3', "'@SUM(A1:A2)", '123', '+3']);
      // The API itself returns the data as it is (JSON is not a spreadsheet).
      const page = await call<{ data: { values: Record<string, string> }[] }>(secured.baseUrl, `${API}/data/clean/${res.body.jobId}`, bearer(TOKEN));
      expect(page.body.data[0].values.备注).toBe(formula);

      const xlsx = (await download(secured.baseUrl, `${API}/download/clean/${res.body.jobId}`, bearer(TOKEN))).content;
      const ExcelJS = (await import('exceljs')).default;
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(xlsx as unknown as ArrayBuffer);
      const cell = workbook.worksheets[0].getCell('A2');
      expect(cell.type).toBe(ExcelJS.ValueType.String);
      expect(cell.value).toBe(formula);
    });

    it('a workbook upload keeps its name out of storage too', async () => {
      const res = await uploadContent<Uploaded>(secured.baseUrl, '/tmp/../../x.xlsx', await xlsxBytes([['姓名'], ['张三']]), { mode: 'sync', token: TOKEN });
      expect(res.status).toBe(200);
      expect((await secured.db.getFileRecordByJobId(res.body.jobId))?.originalName).toBe('x.xlsx');
    });
  });

  describe('without Redis', () => {
    let deadRedis: TestApp;
    let noRedis: TestApp;

    beforeAll(async () => {
      deadRedis = await startAppWithDeadRedis(scratch.url, `redis://127.0.0.1:${await freePort()}`);
      noRedis = await startTestApp({ databaseUrl: scratch.url });
    });

    afterAll(async () => {
      await deadRedis?.close();
      await noRedis?.close();
    });

    it('/health/ready answers 503 when Redis cannot be reached; liveness stays ok', async () => {
      const ready = await call<{ status: string; checks: { redis: { status: string }; database: { status: string } } }>(deadRedis.baseUrl, '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'error', checks: { redis: { status: 'error' }, database: { status: 'ok' } } });
      expect((await call(deadRedis.baseUrl, '/health/live')).status).toBe(200);
    });

    it('/health/ready of an API without any Redis configured (sync only) follows the database alone', async () => {
      const ready = await call<{ status: string; checks: { redis: { status: string }; database: { status: string } } }>(noRedis.baseUrl, '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', checks: { redis: { status: 'disabled' }, database: { status: 'ok' } } });
    });

    it('an async upload while Redis is unreachable is kept for recovery (202, not yet enqueued)', async () => {
      const res = await uploadContent<Uploaded & { status: string; message: string }>(deadRedis.baseUrl, 'a.csv', PEOPLE);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('pending');
      expect(res.body.message).not.toBe('文件上传成功，开始处理');
      const record = await deadRedis.db.getFileRecordByJobId(res.body.jobId);
      expect(record).toMatchObject({ status: 'pending', enqueuedAt: null });
      const view = await call<{ status: string }>(deadRedis.baseUrl, `${API}/check-status/${res.body.taskId}`);
      expect(view.body.status).toBe('pending');
    });

    it('queue statistics and retry answer 503 QUEUE_UNAVAILABLE', async () => {
      expectError(await call(deadRedis.baseUrl, '/api/queue/stats'), 503, 'QUEUE_UNAVAILABLE');
      expectError(await call(noRedis.baseUrl, '/api/queue/stats'), 503, 'QUEUE_UNAVAILABLE');
      const pending = (await uploadContent<Uploaded>(deadRedis.baseUrl, 'b.csv', PEOPLE)).body;
      expect((await call(deadRedis.baseUrl, `${API}/tasks/${pending.taskId}/cancel`, { method: 'POST' })).status).toBe(200);
      expectError(await call(deadRedis.baseUrl, `${API}/tasks/${pending.taskId}/retry`, { method: 'POST' }), 503, 'QUEUE_UNAVAILABLE');
      // A synchronous upload that failed can only be retried through the queue.
      const failed = await uploadContent<Uploaded>(noRedis.baseUrl, 'broken.xlsx', await brokenSheetXlsxBytes(), { mode: 'sync' });
      expectError(failed, 422, 'CORRUPTED_FILE');
      const [record] = await noRedis.db.findRecordsByStatus(['failed'], { limit: 1, orderBy: 'completedAtDesc' });
      expect(record?.originalName).toBe('broken.xlsx');
      expectError(await call(noRedis.baseUrl, `${API}/tasks/${record?.jobId ?? ''}/retry`, { method: 'POST' }), 503, 'QUEUE_UNAVAILABLE');
    });

    it('without a configured queue an async upload is refused (503) and nothing is stored; sync works', async () => {
      const before = await storedUploads(noRedis);
      const total = (await noRedis.db.listFileRecords({ page: 1, pageSize: 1 })).total;
      const res: ApiResponse = await uploadContent(noRedis.baseUrl, 'a.csv', PEOPLE);
      expectError(res, 503, 'QUEUE_UNAVAILABLE');
      expect(await storedUploads(noRedis)).toEqual(before);
      expect((await noRedis.db.listFileRecords({ page: 1, pageSize: 1 })).total).toBe(total);
      const sync = await uploadContent<{ totalRows: number }>(noRedis.baseUrl, 'a.csv', PEOPLE, { mode: 'sync' });
      expect(sync.status).toBe(200);
      expect(sync.body.totalRows).toBe(2);
    });
  });
});
