/**
 * `GET /api/data-cleaning/files` on every dialect, over a seeded set of records with known upload
 * times: pagination, the status filter, day-only and instant date filters (inclusive, UTC),
 * sortBy/order with ties broken by id, and code-point ordering of names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileRecord } from '../../src/storage/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, testDatabases, type IsolatedDatabase } from '../support/databases.js';
import { call, expectedFileList, fileListPath, seedFileRecords, type FileListQuery, type SeedRecord } from '../support/http-client.js';
import type { JobStatus } from '../../src/domain/index.js';

const at = (iso: string) => new Date(iso);

/** Day boundaries on purpose: 00:00:00.000 and 23:59:59.999 UTC, equal times, equal names and sizes. */
const SEED: SeedRecord[] = [
  { originalName: 'b.csv', size: 300, uploadedAt: at('2026-03-01T00:00:00.000Z'), status: 'completed', totalRows: 3 },
  { originalName: 'a.csv', size: 100, uploadedAt: at('2026-03-01T23:59:59.999Z'), status: 'failed', totalRows: 0 },
  { originalName: 'B.csv', size: 100, uploadedAt: at('2026-03-02T00:00:00.000Z'), status: 'pending', totalRows: 0 },
  { originalName: '客户.xlsx', size: 200, uploadedAt: at('2026-03-02T08:30:00.000Z'), status: 'completed', totalRows: 1 },
  { originalName: '😀.csv', size: 200, uploadedAt: at('2026-03-02T08:30:00.000Z'), status: 'cancelled', totalRows: 0 },
  { originalName: 'ｚ.csv', size: 50, uploadedAt: at('2026-03-02T23:59:59.999Z'), status: 'timeout', totalRows: 0 },
  { originalName: 'a.csv', size: 400, uploadedAt: at('2026-03-03T00:00:00.000Z'), status: 'processing', totalRows: 0 },
  { originalName: 'c.csv', size: 10, uploadedAt: at('2026-03-03T12:00:00.000Z'), status: 'completed', totalRows: 2 },
  { originalName: 'a.csv', size: 100, uploadedAt: at('2026-03-04T06:00:00.000Z'), status: 'completed', totalRows: 3 },
];

describe.each(testDatabases())('GET /files on $name', ({ name }) => {
  let scratch: IsolatedDatabase;
  let app: TestApp;
  let records: FileRecord[];

  beforeAll(async () => {
    scratch = await createIsolatedDatabase(name);
    app = await startTestApp({ databaseUrl: scratch.url });
    records = await seedFileRecords(app.db, SEED);
  });

  afterAll(async () => {
    await app?.close();
    await scratch?.drop();
  });

  async function list(query: FileListQuery) {
    const res = await call<{ files: { id: string; uploadedAt: string; status: string }[]; total: number; page: number; pageSize: number }>(
      app.baseUrl,
      fileListPath(query),
    );
    expect(res.status).toBe(200);
    return res.body;
  }

  const idOf = (index: number) => records[index].id;

  it('defaults: newest first, page 1 of 20', async () => {
    const body = await list({});
    expect(body).toMatchObject({ total: SEED.length, page: 1, pageSize: 20 });
    expect(body.files.map((f) => f.id)).toEqual(expectedFileList(records, {}).ids);
    expect(body.files[0].id).toBe(idOf(8));
    expect(body.files.at(-1)?.id).toBe(idOf(0));
    expect(body.files.map((f) => f.uploadedAt)).toEqual(
      records
        .map((r) => r.uploadedAt.toISOString())
        .sort()
        .reverse(),
    );
  });

  it('pages cover every record exactly once, past the end is empty', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const body = await list({ page, pageSize: 3, sortBy: 'size', order: 'asc' });
      expect(body).toMatchObject({ total: SEED.length, page, pageSize: 3 });
      seen.push(...body.files.map((f) => f.id));
    }
    expect(seen).toEqual(expectedFileList(records, { sortBy: 'size', order: 'asc', pageSize: 100 }).ids);
    expect(new Set(seen).size).toBe(SEED.length);
  });

  it.each(['pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled'] as JobStatus[])(
    'status=%s returns exactly those records',
    async (status) => {
      const body = await list({ status, pageSize: 100 });
      const expected = records.filter((r) => r.status === status).map((r) => r.id);
      expect(body.total).toBe(expected.length);
      expect(body.files.map((f) => f.id).sort()).toEqual([...expected].sort());
      expect(body.files.every((f) => f.status === status)).toBe(true);
    },
  );

  it('day-only dates are whole UTC days, inclusive at both ends', async () => {
    const day = await list({ startDate: '2026-03-02', endDate: '2026-03-02', pageSize: 100 });
    expect(day.files.map((f) => f.id).sort()).toEqual([idOf(2), idOf(3), idOf(4), idOf(5)].sort());
    const from = await list({ startDate: '2026-03-03', pageSize: 100 });
    expect(from.files.map((f) => f.id).sort()).toEqual([idOf(6), idOf(7), idOf(8)].sort());
    const until = await list({ endDate: '2026-03-01', pageSize: 100 });
    expect(until.files.map((f) => f.id).sort()).toEqual([idOf(0), idOf(1)].sort());
    expect((await list({ startDate: '2026-03-05' })).total).toBe(0);
  });

  it('instants are exact bounds, with any offset', async () => {
    const body = await list({ startDate: '2026-03-02T08:30:00.000Z', endDate: '2026-03-03T00:00:00Z', pageSize: 100 });
    expect(body.files.map((f) => f.id).sort()).toEqual([idOf(3), idOf(4), idOf(5), idOf(6)].sort());
    // 16:30 in China is 08:30 UTC.
    const offset = await list({ startDate: '2026-03-02T16:30:00+08:00', endDate: '2026-03-02T16:30:00+08:00', pageSize: 100 });
    expect(offset.files.map((f) => f.id).sort()).toEqual([idOf(3), idOf(4)].sort());
    expect((await list({ startDate: '2026-03-02T08:30:00.001Z', endDate: '2026-03-02T23:59:59.998Z' })).total).toBe(0);
  });

  it('a start after the end matches nothing', async () => {
    expect(await list({ startDate: '2026-03-04', endDate: '2026-03-01' })).toMatchObject({ files: [], total: 0 });
  });

  it('filters combine', async () => {
    const body = await list({ status: 'completed', startDate: '2026-03-02', endDate: '2026-03-03', pageSize: 100 });
    expect(body.files.map((f) => f.id).sort()).toEqual([idOf(3), idOf(7)].sort());
  });

  it.each([
    ['uploadedAt', 'asc'],
    ['uploadedAt', 'desc'],
    ['originalName', 'asc'],
    ['originalName', 'desc'],
    ['size', 'asc'],
    ['size', 'desc'],
    ['status', 'asc'],
    ['totalRows', 'desc'],
  ] as const)('sortBy=%s order=%s (ties by id, names by code point)', async (sortBy, order) => {
    const body = await list({ sortBy, order, pageSize: 100 });
    expect(body.files.map((f) => f.id)).toEqual(expectedFileList(records, { sortBy, order, pageSize: 100 }).ids);
  });

  it('names sort by code point (not UTF-16 order): B < a < b < c < 客 < ｚ (U+FF5A) < 😀 (U+1F600)', async () => {
    const body = await list({ sortBy: 'originalName', order: 'asc', pageSize: 100 });
    const names = body.files.map((f) => records.find((r) => r.id === f.id)?.originalName);
    expect(names).toEqual(['B.csv', 'a.csv', 'a.csv', 'a.csv', 'b.csv', 'c.csv', '客户.xlsx', 'ｚ.csv', '😀.csv']);
  });
});
