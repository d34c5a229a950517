/**
 * Helpers for the HTTP API suites (test/integration/http-*.test.ts, test/property/http.property):
 * JSON requests, multipart uploads, the common error body, SSE reading, export parsing, a worker
 * that can be held at its first database write, and the files an upload leaves behind.
 *
 *   const res = await call(app.baseUrl, '/api/data-cleaning/files?page=0');
 *   expectError(res, 400, 'INVALID_REQUEST');
 *   const { events } = await readSse(`${app.baseUrl}/api/data-cleaning/events/${taskId}`);
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { expect } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { TaskConsumer } from '../../src/queue/task-consumer.js';
import { LocalFileStore, type Database, type FileRecord } from '../../src/storage/index.js';
import type { TestApp } from './app.js';
import { minimalXlsxEntries, writeZip } from './zip-writer.js';
import type { JobStatus } from '../../src/domain/index.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A request to the API; the body is parsed as JSON when it is JSON, else left as text. */
export async function call<T = Record<string, unknown>>(baseUrl: string, path: string, init?: RequestInit): Promise<ApiResponse<T>> {
  const res = await fetch(`${baseUrl}${path}`, init);
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: body as T, text };
}

export function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

/** One multipart part: a text field, or a file when `filename` is given. */
export interface FormPart {
  name: string;
  value: string | Buffer;
  filename?: string;
}

/** POSTs a multipart form made of `parts` (in this order). */
export async function postForm<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  parts: FormPart[],
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const form = new FormData();
  for (const part of parts) {
    if (part.filename !== undefined) form.append(part.name, new Blob([new Uint8Array(Buffer.from(part.value))]), part.filename);
    else form.append(part.name, String(part.value));
  }
  return call<T>(baseUrl, path, { method: 'POST', body: form, headers });
}

export interface UploadOptions {
  mode?: 'sync' | 'async';
  columnTypes?: Record<string, string> | string;
  token?: string;
}

/** Uploads `content` as the `file` field (columnTypes first, like the web UI). */
export function uploadContent<T = Record<string, unknown>>(
  baseUrl: string,
  filename: string,
  content: Buffer | string,
  o: UploadOptions = {},
): Promise<ApiResponse<T>> {
  const parts: FormPart[] = [];
  if (o.columnTypes !== undefined)
    parts.push({ name: 'columnTypes', value: typeof o.columnTypes === 'string' ? o.columnTypes : JSON.stringify(o.columnTypes) });
  parts.push({ name: 'file', value: content, filename });
  return postForm<T>(baseUrl, `/api/data-cleaning/upload${o.mode ? `?mode=${o.mode}` : ''}`, parts, o.token ? { authorization: `Bearer ${o.token}` } : {});
}

const ERROR_BODY_KEYS = ['statusCode', 'errorCode', 'message', 'timestamp'];

/** The common error body of SPEC §4 with this status and code (and nothing else). */
export function expectError(res: ApiResponse<unknown>, status: number, errorCode: string): void {
  const body = res.body as Record<string, unknown>;
  expect({ status: res.status, body }).toMatchObject({ status, body: { statusCode: status, errorCode } });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const keys = Object.keys(body).filter((k) => k !== 'details');
  expect(keys.sort()).toEqual([...ERROR_BODY_KEYS].sort());
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
  expect(new Date(body.timestamp as string).toISOString()).toBe(body.timestamp);
}

export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function sortedKeys(value: unknown): string[] {
  return Object.keys(value as object).sort();
}

// ------------------------------------------------------------------ SSE

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads an SSE stream until the server closes it (or `timeoutMs` passes, which fails).
 * Returns the status, the content type and the events in order (comments and `retry:` dropped).
 */
export async function readSse(
  url: string,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; contentType: string; events: SseEvent[] }> {
  return openSse(url, options).done;
}

function parseSseBlock(block: string): SseEvent | undefined {
  let event = '';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return event || data.length > 0 ? { event: event || 'message', data: data.join('\n') } : undefined;
}

/**
 * Opens an SSE stream: `subscribed` resolves with the first event (the server sends it once the
 * stream is subscribed to the task's changes), `done` with every event once the server ends it.
 */
export function openSse(
  url: string,
  { timeoutMs = 20_000, headers = {} }: { timeoutMs?: number; headers?: Record<string, string> } = {},
): { subscribed: Promise<SseEvent>; done: Promise<{ status: number; contentType: string; events: SseEvent[] }> } {
  let onFirst!: (event: SseEvent) => void;
  let onNoEvent!: (err: Error) => void;
  const subscribed = new Promise<SseEvent>((resolve, reject) => {
    onFirst = resolve;
    onNoEvent = reject;
  });
  subscribed.catch(() => undefined);
  const done = (async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`SSE stream ${url} still open after ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await fetch(url, { signal: controller.signal, headers });
      const contentType = res.headers.get('content-type') ?? '';
      const events: SseEvent[] = [];
      let buffer = '';
      const decoder = new TextDecoder();
      if (res.body) {
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = parseSseBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (!event) continue;
            if (events.length === 0) onFirst(event);
            events.push(event);
          }
        }
      }
      const last = parseSseBlock(buffer);
      if (last) events.push(last);
      return { status: res.status, contentType, events };
    } finally {
      clearTimeout(timer);
      onNoEvent(new Error(`SSE stream ${url} ended without an event`));
    }
  })();
  return { subscribed, done };
}

// ------------------------------------------------------------------ exports

/** Every worksheet row of an xlsx as strings (empty cells as ''), header first. */
export async function readXlsxRows(content: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(content as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0];
  const width = sheet.columnCount;
  const rows: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => {
    const cells: string[] = [];
    for (let c = 1; c <= width; c++) {
      const value = row.getCell(c).value;
      cells.push(value === null || value === undefined ? '' : String(value));
    }
    rows.push(cells);
  });
  return rows;
}

/** A CSV export: whether it starts with a UTF-8 BOM, and its rows (header first). */
export function readCsvRows(content: Buffer): { bom: boolean; rows: string[][] } {
  const bom = content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf;
  const parsed = Papa.parse<string[]>(content.toString('utf8').replace(/^\uFEFF/, ''), { skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  return { bom, rows: parsed.data };
}

export async function download(baseUrl: string, path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; content: Buffer }> {
  const res = await fetch(`${baseUrl}${path}`, init);
  return { status: res.status, headers: res.headers, content: Buffer.from(await res.arrayBuffer()) };
}

// ------------------------------------------------------------------ files

/** CSV text (comma, CRLF, RFC 4180 quoting) of a header and rows. */
export function csvText(rows: readonly (readonly string[])[]): string {
  return (
    Papa.unparse(
      rows.map((r) => [...r]),
      { newline: '\r\n', quotes: false },
    ) + '\r\n'
  );
}

/** Files in the app's upload directory (generated names), temp files included. */
export async function storedUploads(app: TestApp): Promise<string[]> {
  try {
    return (await readdir(join(app.dataDir, 'uploads'))).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The app's file store (rooted at DATA_DIR, like startTestApp's). */
export function fileStoreOf(app: TestApp): LocalFileStore {
  return new LocalFileStore(app.dataDir);
}

export const PNG_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(256, 7)]);
export const PDF_BYTES = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1');

/** Bytes of a file written by `write(path)` into a temporary directory. */
async function bytesOf(write: (path: string) => Promise<void>): Promise<Buffer> {
  const { mkdtemp, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'dcs-http-file-'));
  try {
    const path = join(dir, 'f');
    await write(path);
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function docxBytes(): Promise<Buffer> {
  return bytesOf((path) =>
    writeZip(path, [
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'word/document.xml', data: '<w:document/>' },
    ]),
  );
}

/** A valid xlsx of a header and rows (exceljs), for uploads. */
export async function xlsxBytes(rows: readonly (readonly (string | number)[])[], sheetName = 'Sheet1'): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(sheetName);
  for (const row of rows) sheet.addRow([...row]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** An xlsx cut short: no central directory, so the upload check rejects it (CORRUPTED_FILE). */
export async function truncatedXlsxBytes(): Promise<Buffer> {
  const whole = await xlsxBytes([['姓名', '手机号'], ...Array.from({ length: 30 }, (_v, i) => [`用户${i}`, `138${String(i).padStart(8, '0')}`])]);
  return whole.subarray(0, Math.floor(whole.length * 0.6));
}

/**
 * A workbook whose zip directory is intact (it passes the upload check) but whose sheet refers to
 * a shared-strings part that does not exist: processing fails with CORRUPTED_FILE.
 */
export function brokenSheetXlsxBytes(): Promise<Buffer> {
  return bytesOf((path) =>
    writeZip(
      path,
      minimalXlsxEntries([{ name: 'Sheet1', sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>' }], {
        sharedStrings: 'omit',
      }),
    ),
  );
}

// ------------------------------------------------------------------ a worker that can be held

/** A promise that stays pending until `open()` is called. */
class Gate {
  private release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  private waiters = 0;
  private arrived?: () => void;
  readonly reached = new Promise<void>((resolve) => (this.arrived = resolve));

  /** Waits at the gate (and tells `reached` that someone arrived). */
  async pass(): Promise<void> {
    this.waiters++;
    this.arrived?.();
    await this.opened;
  }

  open(): void {
    this.release();
  }

  get waiting(): number {
    return this.waiters;
  }
}

/**
 * The database seen through a gate: `insertBatch` (the first write of result rows) waits until the
 * gate opens, so a worker holding a task stays in `processing` as long as the test wants.
 */
function gatedDatabase(db: Database, gate: Gate): Database {
  return new Proxy(db, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== 'insertBatch') return method;
      return async (...args: unknown[]) => {
        await gate.pass();
        return method(...args);
      };
    },
  });
}

export interface HeldWorker {
  consumer: TaskConsumer;
  gate: Gate;
  /** Outcomes reported by the consumer, in order. */
  outcomes: { jobId: string; outcome: string }[];
  /** Resolves with the `nth` outcome (1-based) the consumer reports for `jobId`. */
  finished(jobId: string, nth?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * An in-process TaskConsumer for an app started without a worker, whose first batch insert waits
 * at a gate (closed until the test opens it).
 */
export function startHeldWorker(app: TestApp): HeldWorker {
  const gate = new Gate();
  const outcomes: { jobId: string; outcome: string }[] = [];
  const listeners = new Set<() => void>();
  const consumer = new TaskConsumer({
    db: gatedDatabase(app.db, gate),
    fileStore: fileStoreOf(app),
    config: app.config,
    logger: createLogger({ level: process.env.HELD_LOG_LEVEL ?? 'silent' }),
    events: {
      onFinished: (jobId, outcome) => {
        outcomes.push({ jobId, outcome });
        for (const listener of listeners) listener();
      },
    },
  });
  return {
    consumer,
    gate,
    outcomes,
    finished(jobId, nth = 1) {
      return new Promise((resolve) => {
        const check = () => {
          const found = outcomes.filter((o) => o.jobId === jobId)[nth - 1];
          if (found) {
            listeners.delete(check);
            resolve(found.outcome);
          }
        };
        listeners.add(check);
        check();
      });
    },
    async close() {
      gate.open();
      await consumer.close(1000);
    },
  };
}

/** Polls until `probe` returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The API wired like startTestApp but with a Redis that never answers (`redisUrl` points at a
 * closed port), without waiting for it. Its metrics registry has no queue gauges: BullMQ's
 * QueueEvents (which the queue metrics subscribe to) cannot be closed before a first connection.
 */
export async function startAppWithDeadRedis(databaseUrl: string, redisUrl: string): Promise<TestApp> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { ConfigStore, loadConfig } = await import('../../src/config/index.js');
  const { buildApp } = await import('../../src/http/app.js');
  const { Metrics } = await import('../../src/http/metrics.js');
  const { QueueManager } = await import('../../src/queue/queue-manager.js');
  const { TaskProducer } = await import('../../src/queue/task-producer.js');
  const { createDatabase } = await import('../../src/storage/index.js');
  const { parseLimitsOf } = await import('../../src/cli/common.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'dcs-app-'));
  const env = { DATA_DIR: dataDir, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: `t${process.pid}dead`, LOG_LEVEL: 'silent' };
  const config = new ConfigStore(loadConfig(env), env);
  const logger = createLogger({ level: 'silent' });
  const db = createDatabase(databaseUrl);
  await db.migrate();
  const fileStore = new LocalFileStore(dataDir);
  const queue = new QueueManager(config.current, logger);
  const metrics = new Metrics(undefined);
  const producer = new TaskProducer({ db, fileStore, queue, logger, maxFileSize: () => config.current.MAX_FILE_SIZE });
  const app = await buildApp({ config, db, fileStore, queue, producer, metrics, logger, version: 'test', parseLimits: () => parseLimitsOf(config.current) });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    app,
    db,
    queue,
    config,
    dataDir,
    async close() {
      await app.close();
      await queue.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ seeded file records

/** A file record to seed, in any status (results only for `completed`: `totalRows` clean rows). */
export interface SeedRecord {
  originalName: string;
  size: number;
  uploadedAt: Date;
  status: JobStatus;
  totalRows: number;
}

/** Creates the records through the storage API, each brought to its status the way a run would. */
export async function seedFileRecords(db: Database, specs: readonly SeedRecord[]): Promise<FileRecord[]> {
  const { randomUUID } = await import('node:crypto');
  const records: FileRecord[] = [];
  for (const spec of specs) {
    const jobId = randomUUID();
    await db.createFileRecord({
      id: randomUUID(),
      jobId,
      originalName: spec.originalName,
      size: spec.size,
      fileType: 'csv',
      mimeType: 'text/csv',
      storageKey: `uploads/${randomUUID()}`,
      uploadedAt: spec.uploadedAt,
    });
    const token = `seed-${jobId}`;
    switch (spec.status) {
      case 'pending':
        break;
      case 'cancelled':
        await db.endAttempt(jobId, null, 'cancelled', 'CANCELLED', 'seeded');
        break;
      case 'processing':
        await db.startAttempt(jobId, token);
        break;
      case 'failed':
      case 'timeout':
        await db.startAttempt(jobId, token);
        await db.endAttempt(jobId, token, spec.status, 'SEEDED', 'seeded');
        break;
      case 'completed': {
        await db.startAttempt(jobId, token);
        const rows = Array.from({ length: spec.totalRows }, (_v, i) => ({ sheetIndex: 0, rowNumber: i + 2, values: [`v${i}`] }));
        if (rows.length > 0) await db.insertBatch(jobId, token, rows, []);
        const sheets = [{ name: 'Sheet1', index: 0, headers: ['a'], types: ['text' as const], cleanColumns: ['a'] }];
        const statistics = {
          totalRows: spec.totalRows,
          cleanedRows: spec.totalRows,
          exceptionRows: 0,
          errorsByType: {},
          errorsByField: {},
          processingTimeMs: 1,
          format: 'csv' as const,
          sheets: [],
        };
        await db.completeAttempt(jobId, token, {
          totalRows: spec.totalRows,
          cleanedRows: spec.totalRows,
          exceptionRows: 0,
          processingTimeMs: 1,
          statistics,
          layout: sheets,
        });
        break;
      }
    }
    const record = await db.getFileRecordByJobId(jobId);
    if (!record) throw new Error(`seeded record ${jobId} vanished`);
    records.push(record);
  }
  return records;
}

export interface FileListQuery {
  page?: number;
  pageSize?: number;
  status?: JobStatus;
  startDate?: string;
  endDate?: string;
  sortBy?: 'uploadedAt' | 'originalName' | 'size' | 'status' | 'totalRows';
  order?: 'asc' | 'desc';
}

export function fileListPath(query: FileListQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return `/api/data-cleaning/files${text ? `?${text}` : ''}`;
}

/** Code-point order (what the database promises), not JavaScript's UTF-16 code-unit order. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The bounds a date parameter stands for (docs/API.md): a whole UTC day, or an instant. */
function bound(value: string, endOfDay: boolean): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return Date.parse(`${value}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z`);
  return Date.parse(value);
}

/** What `GET /files` must answer for `query` over `records` (the model of the contract). */
export function expectedFileList(records: readonly FileRecord[], query: FileListQuery): { ids: string[]; total: number } {
  const page = query.page ?? 1;
  const pageSize = query.pageSize ?? 20;
  const start = query.startDate === undefined ? -Infinity : bound(query.startDate, false);
  const end = query.endDate === undefined ? Infinity : bound(query.endDate, true);
  const matching = records.filter(
    (r) => (query.status === undefined || r.status === query.status) && r.uploadedAt.getTime() >= start && r.uploadedAt.getTime() <= end,
  );
  const sortBy = query.sortBy ?? 'uploadedAt';
  const direction = (query.order ?? 'desc') === 'asc' ? 1 : -1;
  const key = (r: FileRecord): number | string => (sortBy === 'uploadedAt' ? r.uploadedAt.getTime() : r[sortBy]);
  const sorted = [...matching].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const byKey = typeof x === 'number' && typeof y === 'number' ? x - y : compareCodePoints(String(x), String(y));
    return direction * (byKey !== 0 ? byKey : compareCodePoints(a.id, b.id));
  });
  return { ids: sorted.slice((page - 1) * pageSize, page * pageSize).map((r) => r.id), total: matching.length };
}
