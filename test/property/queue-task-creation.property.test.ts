/**
 * 属性1 (SPEC R1.1–R1.5): every valid upload gets a unique task id at once, a BullMQ job with that
 * id waits in the queue, and the database record is `pending`; an invalid upload creates neither.
 * Real HTTP API, real Redis (unique prefix), SQLite; no worker runs, so jobs stay where the
 * producer put them.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/queue-harness.js';
import { upload } from '../support/stack.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const HEADERS = ['姓名', '手机号', '出生日期', '地址', '备注', 'name', 'phone', 'city'];
const cellArb = fc
  .array(fc.constantFrom('a', 'Z', '0', '7', ' ', '张', '三', '市', '区', ',', '"', '-', '/', '号'), { maxLength: 12 })
  .map((chars) => chars.join(''));
const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);

/** A small valid CSV: 1–5 distinct headers, 0–8 rows, LF or CRLF, with or without a UTF-8 BOM. */
const csvArb = fc
  .record({
    headers: fc.uniqueArray(fc.constantFrom(...HEADERS), { minLength: 1, maxLength: 5 }),
    rows: fc.array(fc.array(cellArb, { minLength: 5, maxLength: 5 }), { maxLength: 8 }),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    name: fc.stringMatching(/^[a-z0-9\u4e00-\u4e0f_-]{1,12}$/).map((n) => `${n}.csv`),
  })
  .map(({ headers, rows, eol, bom, name }) => {
    const lines = [headers.join(','), ...rows.map((r) => r.slice(0, headers.length).map(quote).join(','))];
    return { name, content: Buffer.from(`${bom ? '\uFEFF' : ''}${lines.join(eol)}${eol}`, 'utf8') };
  });

/** Uploads that must be refused: empty, an image, a PDF (by content, whatever the extension). */
const invalidArb = fc.constantFrom(
  { name: 'empty.csv', content: Buffer.alloc(0), errorCode: 'EMPTY_FILE' },
  { name: 'photo.csv', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), errorCode: 'UNSUPPORTED_FILE_TYPE' },
  { name: 'report.xlsx', content: Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n'), errorCode: 'UNSUPPORTED_FILE_TYPE' },
);

const uploadArb = fc.array(
  fc.oneof({ weight: 3, arbitrary: csvArb.map((f) => ({ ...f, errorCode: undefined as string | undefined })) }, { weight: 1, arbitrary: invalidArb }),
  {
    minLength: 1,
    maxLength: 3,
  },
);

describe('属性1: an upload creates exactly one queued, pending task', () => {
  let h: Harness;
  const seenTaskIds = new Set<string>();
  let acceptedTotal = 0;

  beforeAll(async () => {
    h = await startHarness({ tag: 'create' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('returns a fresh task id whose job waits in the queue and whose record is pending', async () => {
    await fc.assert(
      fc.asyncProperty(uploadArb, async (files) => {
        // Concurrent uploads: ids must still be unique.
        const answers = await Promise.all(files.map((f) => upload<Record<string, unknown>>(h.baseUrl, { name: f.name, content: f.content })));
        for (const [i, file] of files.entries()) {
          const { status, body } = answers[i];
          if (file.errorCode) {
            expect(status).toBeGreaterThanOrEqual(400);
            expect(status).toBeLessThan(500);
            expect(body).toMatchObject({ statusCode: status, errorCode: file.errorCode });
            continue;
          }
          expect(status).toBe(202);
          expect(body).toMatchObject({ status: 'pending', message: '文件上传成功，开始处理' });
          const taskId = body.taskId as string;
          expect(taskId).toMatch(UUID);
          expect(body.jobId).toBe(taskId);
          expect(body.fileId).toMatch(UUID);
          expect(seenTaskIds.has(taskId)).toBe(false);
          seenTaskIds.add(taskId);
          acceptedTotal++;

          const job = await h.queue.getJob(taskId);
          expect(job?.id).toBe(taskId);
          expect(job?.data).toEqual({ jobId: taskId, fileId: body.fileId });
          expect(await job?.getState()).toBe('waiting');

          const record = await h.db.getFileRecordByJobId(taskId);
          expect(record).toMatchObject({
            id: body.fileId,
            status: 'pending',
            size: file.content.length,
            fileType: 'csv',
            originalName: file.name,
            attempts: 0,
          });
          expect(record?.enqueuedAt).toBeInstanceOf(Date);
          // The stored file is the uploaded bytes, under a generated key (never the client's name).
          expect(record?.storageKey).not.toContain(file.name);
          expect(readFileSync(h.fileStore.path(record!.storageKey)).equals(file.content)).toBe(true);
        }
        // No job was created for a refused upload, and none twice for an accepted one.
        const counts = await h.queue.counts();
        expect(counts.waiting).toBe(acceptedTotal);
        const { total } = await h.db.listFileRecords({ page: 1, pageSize: 1 });
        expect(total).toBe(acceptedTotal);
      }),
      { numRuns: 100 },
    );
  });
});
