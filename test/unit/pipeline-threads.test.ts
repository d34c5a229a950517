/**
 * processFile with parsing + cleaning on a worker thread (the default): the records, their order
 * and the statistics are those of inline cleaning; the thread runs at most MAX_BATCHES_IN_FLIGHT
 * batches ahead of a slow writer; an abort stops a thread that is stuck in one pathological cell;
 * a thread that dies fails the run cleanly (the sink is aborted, the error says what happened).
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { MAX_BATCHES_IN_FLIGHT, openCleanSource, ThreadCrashError, usesThread } from '../../src/pipeline/clean-source.js';
import { ProcessAbortedError, processFile } from '../../src/pipeline/process-file.js';
import { makeTempDir, RecordingSink, writeCsvFile, writeXlsxFile } from '../support/pipeline-files.js';
import { writeGiantSharedStringXlsx } from '../support/slow-files.js';
import type { ProcessStatistics } from '../../src/domain/index.js';

const HEADER = ['姓名', '手机号', '出生日期', '地址', '备注'];
const ROWS = [
  ['张三', '13812345678', '1990-05-17', '江苏省南京市玄武区中山路1号', '正常'],
  ['李四', '12345', '1985-03-02', '北京市朝阳区建国路88号', '手机无效'],
  ['', '', '', '', ''],
  ['王五', '999', 'abc', '火星基地', '三处无效'],
  ['赵六', '+86 139-0000-1111', '2001/2/3', '广东省深圳市南山区科技园', '多一列', 'extra'],
];

let tmp: { dir: string; remove: () => Promise<void> };
let counter = 0;
const nextPath = (ext: string) => join(tmp.dir, `threads-${++counter}.${ext}`);

beforeAll(async () => {
  tmp = await makeTempDir('dcs-threads-');
});
afterAll(async () => {
  await tmp.remove();
});

function rows(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => ROWS[i % ROWS.length].map((c) => (c && i % 7 === 0 ? `${c} ` : c)));
}

const withoutTime = (stats: ProcessStatistics) => ({ ...stats, processingTimeMs: 0 });

describe('processFile on a cleaning thread', () => {
  it.each([
    ['a CSV', 'csv'],
    ['a workbook with several sheets', 'xlsx'],
  ])('gives %s the same calls, records, order and statistics as inline cleaning', async (_, kind) => {
    const path =
      kind === 'csv'
        ? await writeCsvFile(nextPath('csv'), [HEADER, ...rows(2503)])
        : await writeXlsxFile(nextPath('xlsx'), [
            { name: 'A', rows: [HEADER, ...rows(611)] },
            { name: 'B', rows: [] },
            { name: 'C', rows: [HEADER.slice(0, 3), ...rows(250).map((r) => r.slice(0, 3))] },
          ]);
    const inline = new RecordingSink();
    const threaded = new RecordingSink();
    const inlineStats = await processFile(path, inline, { batchSize: 7, threads: 0 });
    const threadedStats = await processFile(path, threaded, { batchSize: 7, threads: 1 });

    expect(withoutTime(threadedStats)).toEqual(withoutTime(inlineStats));
    expect(threaded.kinds()).toEqual(inline.kinds());
    expect(threaded.writes()).toEqual(inline.writes());
    expect(threaded.layouts()).toEqual(inline.layouts());
    // Batches follow file order: sheet by sheet, each batch after the rows of the one before.
    let last = { sheet: -1, row: 0 };
    for (const batch of threaded.writes()) {
      const records = [...batch.clean, ...batch.exceptions].sort((a, b) => a.rowNumber - b.rowNumber);
      const sheet = records[0].sheetIndex;
      expect(records.every((r) => r.sheetIndex === sheet)).toBe(true);
      if (sheet === last.sheet) expect(records[0].rowNumber).toBeGreaterThan(last.row);
      else expect(sheet).toBeGreaterThan(last.sheet);
      last = { sheet, row: records.at(-1)!.rowNumber };
    }
  });

  it(`runs at most ${MAX_BATCHES_IN_FLIGHT} batches ahead of a slow writer, and does run ahead`, async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...rows(600)]);
    const source = await openCleanSource(path, { batchSize: 10, threads: 1 });
    let batches = 0;
    let lastRow = 0;
    try {
      for (;;) {
        const event = await source.next();
        if (event.kind === 'end') break;
        if (event.kind !== 'batch') continue;
        batches++;
        const numbers = [...event.batch.clean, ...event.batch.exceptions].map((r) => r.rowNumber).sort((a, b) => a - b);
        expect(numbers[0]).toBeGreaterThan(lastRow);
        lastRow = numbers.at(-1)!;
        await sleep(5); // a slow writer: the thread fills the window meanwhile
        source.release();
      }
    } finally {
      await source.close();
    }
    expect(batches).toBe(48); // 480 non-empty rows
    expect(source.peakBatchesInFlight).toBe(MAX_BATCHES_IN_FLIGHT);
  });

  it('an abort stops a thread that is stuck in a pathological cell, without waiting for it', async () => {
    // Every cell holds the same 999,000-character string: cleaning takes minutes. (The row caps
    // would reject the file at once; raised, it stands for any CPU-bound input they let through.)
    const path = await writeGiantSharedStringXlsx(nextPath('xlsx'), { rows: 300, columns: 40 });
    const controller = new AbortController();
    const sink = new RecordingSink();
    const reason = new Error('time limit');
    const error = await processFile(path, sink, {
      limits: { maxLineLength: 1e9, maxBatchBytes: 1e12 },
      signal: controller.signal,
      onProgress: (p) => {
        // Once the thread has opened the file and is busy with the sheet, let it work a moment.
        if (p.phase === 'cleaning') setTimeout(() => controller.abort(reason), 300);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessAbortedError);
    expect((error as ProcessAbortedError).reason).toBe(reason);
    expect(sink.writes()).toHaveLength(0);
    expect(sink.kinds().at(-1)).toBe('abort');
  });

  it('a thread that runs out of its heap limit fails the run with CLEANING_THREAD_CRASHED; the sink is aborted', async () => {
    // 40 rows of 400,000 characters each: far more than a 16 MB heap holds in one batch.
    const path = nextPath('csv');
    const big = 'x'.repeat(400_000);
    await writeFile(path, `名称,备注\n${Array.from({ length: 40 }, (_, i) => `n${i},${big}`).join('\n')}\n`);
    const sink = new RecordingSink();
    const error = await processFile(path, sink, { threadMemoryMb: 16 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadCrashError);
    expect(error).toMatchObject({ code: 'CLEANING_THREAD_CRASHED', cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' } });
    expect(sink.kinds()).not.toContain('finish');
    expect(sink.calls.at(-1)).toEqual({ kind: 'abort', reason: error });
    // Control: with the default heap the same file is cleaned.
    await expect(processFile(path, new RecordingSink())).resolves.toMatchObject({ totalRows: 40 });
  });

  it('an error thrown inside the thread arrives as the same AppError', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER]);
    const error = await processFile(path, new RecordingSink(), { threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'EMPTY_FILE', message: '文件只有表头，没有数据行', details: { reason: 'NO_DATA_ROWS' } });
  });
});

describe('which files get a cleaning thread (PIPELINE_THREAD_MIN_BYTES)', () => {
  it('a CSV under the minimum is cleaned inline, one at or over it on a thread; workbooks always on a thread', async () => {
    const csv = await writeCsvFile(nextPath('csv'), [HEADER, ...rows(50)]);
    const xlsx = await writeXlsxFile(nextPath('xlsx'), [{ name: 'A', rows: [HEADER, ...rows(50)] }]);
    const { size } = await stat(csv);
    expect(await usesThread(csv, { threads: 1 })).toBe(true);
    expect(await usesThread(csv, { threads: 1, threadMinBytes: size + 1 })).toBe(false);
    expect(await usesThread(csv, { threads: 1, threadMinBytes: size })).toBe(true);
    expect(await usesThread(csv, { threads: 0, threadMinBytes: 0 })).toBe(false);
    expect(await usesThread(xlsx, { threads: 1, threadMinBytes: 1024 ** 3 })).toBe(true);
    // A file that is not a table keeps the default; the run then fails the same way either side.
    expect(await usesThread(join(tmp.dir, 'missing.csv'), { threads: 1, threadMinBytes: 1024 ** 3 })).toBe(true);
  });

  it('a small CSV cleaned inline gives the records a thread gives it', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...rows(300)]);
    const inline = new RecordingSink();
    const threaded = new RecordingSink();
    const inlineStats = await processFile(path, inline, { batchSize: 7, threads: 1, threadMinBytes: 1024 ** 2 });
    const threadedStats = await processFile(path, threaded, { batchSize: 7, threads: 1, threadMinBytes: 0 });
    expect(withoutTime(inlineStats)).toEqual(withoutTime(threadedStats));
    expect(inline.writes()).toEqual(threaded.writes());
  });
});
