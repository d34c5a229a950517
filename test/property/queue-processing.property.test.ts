/**
 * 属性7 (SPEC R3.2, R11): a task a worker consumes runs the full cleaning pipeline. For random
 * small tables whose every cell is generated as known-good or known-bad (a mobile in some
 * separator style or a non-number; a calendar date in some accepted form or an impossible one;
 * some cells empty), the upload answered 202 ends `completed` at 100 % in phase `done`, and what
 * the API serves equals what the generator predicts: each data row exactly once, a row with a bad
 * cell among the exceptions naming exactly its bad fields, every other row clean with the
 * normalized values, statistics that add up. Cleaning runs on the worker thread (PIPELINE_THREADS
 * 1) in some runs and on the calling thread in the others. The example with real processes is
 * test/integration/multi-worker.test.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/queue-harness.js';
import { getJson, upload, type TaskView } from '../support/stack.js';

const HEADER = ['姓名', '手机号', '出生日期'] as const;
const COLUMN_TYPES = { 姓名: 'text', 手机号: 'phone', 出生日期: 'date' };

/** A generated cell: what is written to the file and what the pipeline must make of it. */
interface Cell {
  text: string;
  /** The cleaned value, or undefined when the cell is invalid. */
  cleaned: string | undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

const phoneArb: fc.Arbitrary<Cell> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom('', ' ', '-', '.'), fc.constantFrom('', '+86 ', '0086-'))
    .map(([second, rest, sep, prefix]) => {
      const digits = `1${second}${String(rest).padStart(9, '0')}`;
      return { text: `${prefix}${digits.slice(0, 3)}${sep}${digits.slice(3, 7)}${sep}${digits.slice(7)}`, cleaned: digits };
    }),
  fc.constantFrom<Cell>({ text: '12345', cleaned: undefined }, { text: '1381234567', cleaned: undefined }, { text: '电话未知', cleaned: undefined }),
  fc.constant<Cell>({ text: '', cleaned: '' }),
);

const dateArb: fc.Arbitrary<Cell> = fc.oneof(
  fc
    .tuple(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }), fc.constantFrom('-', '/', '.', '年'))
    .map(([d, sep]) => {
      const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
      const text = sep === '年' ? `${y}年${m}月${day}日` : `${y}${sep}${m}${sep}${day}`;
      return { text, cleaned: `${y}-${pad(m)}-${pad(day)}` };
    }),
  fc.constantFrom<Cell>({ text: '2024-13-01', cleaned: undefined }, { text: '2023-02-30', cleaned: undefined }, { text: '1899-12-31', cleaned: undefined }),
  fc.constant<Cell>({ text: '', cleaned: '' }),
);

const nameArb = fc.constantFrom('张三', '李四', '王五', 'Zhao Liu', '欧阳娜娜');

const tableArb = fc.array(fc.tuple(nameArb, phoneArb, dateArb), { minLength: 1, maxLength: 25 });
/** PIPELINE_THREADS 1 (the default: cleaning on a worker thread) in about one run of five: a thread costs ~0.5 s to start under vitest. */
const threadsArb = fc.integer({ min: 0, max: 4 }).map((n) => (n === 0 ? '1' : '0'));

interface CleanPage {
  data: { rowNumber: number; values: Record<string, string> }[];
  total: number;
}
interface ExceptionPage {
  data: { rowNumber: number; errors: { field: string }[] }[];
  total: number;
}

describe('属性7: a consumed task runs the full pipeline', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ tag: 'processing', env: { WORKER_CONCURRENCY: '1', BATCH_SIZE: '7', PIPELINE_THREADS: '0' } });
    h.startConsumer();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('stores every row once, clean or exception as its cells predict, with the normalized values', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, threadsArb, async (table, threads) => {
        h.env.PIPELINE_THREADS = threads;
        h.config.reload();
        const csv = [HEADER.join(','), ...table.map(([name, phone, date]) => [name, phone.text, date.text].join(','))].join('\n') + '\n';
        const answer = await upload<{ taskId: string }>(h.baseUrl, { name: 'p7.csv', content: csv }, { columnTypes: COLUMN_TYPES });
        expect(answer.status).toBe(202);
        const taskId = answer.body.taskId;

        const view = await waitFor(async () => {
          const { body } = await getJson<TaskView>(`${h.baseUrl}/api/data-cleaning/check-status/${taskId}`);
          return ['completed', 'failed', 'timeout', 'cancelled'].includes(body.status) ? body : undefined;
        }, `task ${taskId} to finish`);
        const bad = table.flatMap(([, phone, date], i) => (phone.cleaned === undefined || date.cleaned === undefined ? [i] : []));
        expect(view).toMatchObject({
          status: 'completed',
          progress: 100,
          currentPhase: 'done',
          processedRows: table.length,
          totalRows: table.length,
          statistics: { totalRows: table.length, cleanedRows: table.length - bad.length, exceptionRows: bad.length },
        });

        const pageSize = 100;
        const clean = (await getJson<CleanPage>(`${h.baseUrl}/api/data-cleaning/data/clean/${taskId}?page=1&pageSize=${pageSize}`)).body;
        const exceptions = (await getJson<ExceptionPage>(`${h.baseUrl}/api/data-cleaning/data/exceptions/${taskId}?page=1&pageSize=${pageSize}`)).body;
        // Spreadsheet row numbers: the header is row 1.
        const expectedClean = table.flatMap(([name, phone, date], i) =>
          bad.includes(i) ? [] : [{ rowNumber: i + 2, values: { 姓名: name, 手机号: phone.cleaned, 出生日期: date.cleaned } }],
        );
        expect(clean.total).toBe(expectedClean.length);
        expect(clean.data.map((r) => ({ rowNumber: r.rowNumber, values: r.values }))).toEqual(expectedClean);

        const expectedExceptions = bad.map((i) => {
          const [, phone, date] = table[i];
          const fields = [...(phone.cleaned === undefined ? ['手机号'] : []), ...(date.cleaned === undefined ? ['出生日期'] : [])];
          return { rowNumber: i + 2, fields };
        });
        expect(exceptions.total).toBe(bad.length);
        expect(exceptions.data.map((r) => ({ rowNumber: r.rowNumber, fields: r.errors.map((e) => e.field).sort() }))).toEqual(
          expectedExceptions.map((e) => ({ ...e, fields: e.fields.sort() })),
        );
      }),
      { numRuns: 100 },
    );
  });
});
