import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { DEFAULT_BATCH_SIZE, ProcessAbortedError, processFile } from '../../src/pipeline/process-file.js';
import { TableCleaner } from '../../src/pipeline/table-cleaner.js';
import type { CleanEvent, Progress } from '../../src/pipeline/types.js';
import type { RawRow, TableDetails, TableReader } from '../../src/parsing/types.js';
import { makeTempDir, RecordingSink, writeCsvFile, writeXlsxFile } from '../support/pipeline-files.js';
import type { Phase } from '../../src/domain/index.js';

const HEADER = ['姓名', '手机号', '出生日期', '地址', '备注'];
const VALID_ROW = ['张三', '13812345678', '1990-05-17', '江苏省南京市玄武区中山路1号', '正常'];
const INVALID_PHONE_ROW = ['李四', '12345', '1985-03-02', '北京市朝阳区建国路88号', '手机无效'];
const INVALID_ALL_ROW = ['王五', '999', 'abc', '火星基地', '三处无效'];

let tmp: { dir: string; remove: () => Promise<void> };
let fileCounter = 0;
const nextPath = (ext: string) => join(tmp.dir, `input-${++fileCounter}.${ext}`);

beforeAll(async () => {
  tmp = await makeTempDir('dcs-process-file-');
});
afterAll(async () => {
  await tmp.remove();
});

/** n data rows cycling through valid / invalid-phone / invalid-everything rows. */
function people(n: number): string[][] {
  const pattern = [VALID_ROW, VALID_ROW, INVALID_PHONE_ROW, VALID_ROW, INVALID_ALL_ROW];
  return Array.from({ length: n }, (_, i) => [...pattern[i % pattern.length]]);
}

/** Phases as reported, consecutive repeats collapsed. */
function phasesOf(progress: Progress[]): Phase[] {
  return progress.map((p) => p.phase).filter((phase, i, all) => i === 0 || all[i - 1] !== phase);
}

describe('processFile with a recording sink', () => {
  it('calls begin, sheet, write batches of at most batchSize, flush, finish — in that order', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(250)]);
    const sink = new RecordingSink();
    const stats = await processFile(path, sink, { batchSize: 60 });

    const kinds = sink.kinds();
    expect(kinds[0]).toBe('begin');
    expect(kinds[1]).toBe('sheet');
    expect(kinds.slice(2, -2).every((k) => k === 'write')).toBe(true);
    expect(kinds.slice(-2)).toEqual(['flush', 'finish']);
    const sizes = sink.writes().map((b) => b.clean.length + b.exceptions.length);
    expect(sizes).toEqual([60, 60, 60, 60, 10]);
    expect(sink.calls.at(-1)).toEqual({ kind: 'finish', stats });
    expect(sink.calls[0]).toMatchObject({ kind: 'begin', details: { format: 'csv', encoding: 'utf-8', delimiter: ',' } });
  });

  it('hands every row exactly once, in file order, with the spreadsheet row numbers', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(23)]);
    const sink = new RecordingSink();
    const stats = await processFile(path, sink, { batchSize: 4 });
    const rowNumbers = sink
      .records()
      .map((r) => r.rowNumber)
      .sort((a, b) => a - b);
    expect(rowNumbers).toEqual(Array.from({ length: 23 }, (_, i) => i + 2));
    expect(stats).toMatchObject({ totalRows: 23, cleanedRows: 14, exceptionRows: 9 });
    // Within a batch the clean rows and the exceptions each keep file order.
    for (const batch of sink.writes()) {
      for (const list of [batch.clean, batch.exceptions]) {
        const numbers = list.map((r) => r.rowNumber);
        expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      }
    }
  });

  it('uses batches of 1000 rows by default', async () => {
    expect(DEFAULT_BATCH_SIZE).toBe(1000);
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(2100)]);
    const sink = new RecordingSink();
    await processFile(path, sink);
    expect(sink.writes().map((b) => b.clean.length + b.exceptions.length)).toEqual([1000, 1000, 100]);
  });

  it('reports progress: phases in order, processed rows never decreasing, exact final total', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(500)]);
    const progress: Progress[] = [];
    const stats = await processFile(path, new RecordingSink(), { batchSize: 50, onProgress: (p) => progress.push({ ...p }) });

    expect(phasesOf(progress)).toEqual(['parsing', 'cleaning', 'saving', 'exporting', 'done']);
    for (let i = 1; i < progress.length; i++) expect(progress[i].processedRows).toBeGreaterThanOrEqual(progress[i - 1].processedRows);
    for (const p of progress) expect(p.totalRows).toBeGreaterThanOrEqual(p.processedRows);
    // One report per batch while cleaning.
    expect(progress.filter((p) => p.phase === 'cleaning' && p.processedRows > 0)).toHaveLength(10);
    expect(progress.at(-1)).toEqual({ phase: 'done', processedRows: 500, totalRows: 500, totalIsEstimate: false });
    expect(stats.totalRows).toBe(500);
  });

  it('the final total is exact even when the reader over-estimated (blank lines are not rows)', async () => {
    const lines = [HEADER.join(',')];
    for (let i = 0; i < 40; i++) lines.push(VALID_ROW.join(','), '', ',,,,', '   ');
    const path = nextPath('csv');
    await writeFile(path, lines.join('\n') + '\n');
    const progress: Progress[] = [];
    const stats = await processFile(path, new RecordingSink(), { batchSize: 10, onProgress: (p) => progress.push({ ...p }) });
    expect(stats.totalRows).toBe(40);
    expect(progress.at(-1)).toMatchObject({ processedRows: 40, totalRows: 40, totalIsEstimate: false });
    expect(progress.filter((p) => p.phase === 'done' || p.phase === 'saving' || p.phase === 'exporting').every((p) => p.totalRows === 40)).toBe(true);
  });

  it('skips empty rows without counting them; row numbers stay those of the file', async () => {
    const path = nextPath('csv');
    await writeFile(path, [HEADER.join(','), VALID_ROW.join(','), '', ' , ,\t, ,', INVALID_PHONE_ROW.join(','), '\u3000', VALID_ROW.join(',')].join('\r\n'));
    const sink = new RecordingSink();
    const stats = await processFile(path, sink);
    expect(stats).toMatchObject({ totalRows: 3, cleanedRows: 2, exceptionRows: 1 });
    expect(sink.records().map((r) => [r.type, r.rowNumber])).toEqual([
      ['clean', 2],
      ['clean', 7],
      ['exception', 5],
    ]);
  });

  it('statistics: counts per error type and per field, sheet summary, totals', async () => {
    const path = await writeCsvFile(nextPath('csv'), [
      HEADER,
      ...people(10),
      ['赵六', '13812345678'],
      ['孙七', '13812345678', '2000-01-01', '上海市浦东新区', 'x', '多余'],
    ]);
    const stats = await processFile(path, new RecordingSink());
    expect(stats).toMatchObject({
      totalRows: 12,
      cleanedRows: 6,
      exceptionRows: 6,
      // 2 invalid-phone rows, 2 invalid-everything rows (phone, date, address), 2 ragged rows.
      errorsByType: { INVALID_PHONE: 4, INVALID_DATE: 2, INVALID_ADDRESS: 2, COLUMN_COUNT_MISMATCH: 2 },
      errorsByField: { 手机号: 4, 出生日期: 2, 地址: 2 },
      format: 'csv',
      encoding: 'utf-8',
      delimiter: ',',
      sheets: [{ name: 'Sheet1', rows: 12, columns: HEADER, types: ['text', 'phone', 'date', 'address', 'text'] }],
    });
    expect(stats.totalRows).toBe(stats.cleanedRows + stats.exceptionRows);
    expect(stats.processingTimeMs).toBeGreaterThanOrEqual(0);
  });

  it('applies column type overrides', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(5)]);
    const sink = new RecordingSink();
    const stats = await processFile(path, sink, { columnTypes: { 手机号: 'text', 出生日期: 'text', 地址: 'text' } });
    expect(stats.sheets[0].types).toEqual(['text', 'text', 'text', 'text', 'text']);
    expect(stats).toMatchObject({ cleanedRows: 5, exceptionRows: 0 });
    expect(sink.layouts()[0].cleanColumns).toEqual(HEADER);
  });

  it('detects types from the first rows and cleans the rows held for the sample like the others', async () => {
    // No telling headers: types come from the values of the first DETECTION_SAMPLE_ROWS rows.
    const rows = Array.from({ length: 450 }, (_, i) => [
      `name${i}`,
      `1381234${String(i).padStart(4, '0')}`,
      `2020-01-${String((i % 28) + 1).padStart(2, '0')}`,
    ]);
    const path = await writeCsvFile(nextPath('csv'), [['a', 'b', 'c'], ...rows]);
    const sink = new RecordingSink();
    const stats = await processFile(path, sink, { batchSize: 64 });
    expect(stats.sheets[0].types).toEqual(['text', 'phone', 'date']);
    expect(stats).toMatchObject({ totalRows: 450, cleanedRows: 450 });
    const clean = sink.records().filter((r) => r.type === 'clean');
    expect(clean.map((r) => r.rowNumber)).toEqual(Array.from({ length: 450 }, (_, i) => i + 2));
    expect(clean[449].values).toEqual(['name449', '13812340449', '2020-01-02']);
  });

  it('a header-only file is EMPTY_FILE and the sink is aborted', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER]);
    const sink = new RecordingSink();
    const error = await processFile(path, sink).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'EMPTY_FILE' });
    expect(sink.kinds()).toEqual(['begin', 'sheet', 'abort']);
    expect(sink.calls.at(-1)).toEqual({ kind: 'abort', reason: error });
  });

  it.each([
    ['an empty file', ''],
    ['blank lines only', '\n\n  \r\n\t\n'],
    ['a header and blank lines', `${HEADER.join(',')}\n\n,,,,\n  \n`],
  ])('%s is EMPTY_FILE', async (_, content) => {
    const path = nextPath('csv');
    await writeFile(path, content);
    const sink = new RecordingSink();
    await expect(processFile(path, sink)).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    expect(sink.kinds()).not.toContain('finish');
    expect(sink.kinds()).not.toContain('write');
  });

  it('unreadable input rejects with the reader error and never calls finish', async () => {
    const path = nextPath('png');
    await writeFile(path, Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'));
    const sink = new RecordingSink();
    await expect(processFile(path, sink)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
    expect(sink.kinds()).toEqual(['abort']);
  });

  it('a failing sink write stops processing; abort receives the error', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(100)]);
    const failure = new Error('disk full');
    const sink = new RecordingSink({
      onWrite: (i) => {
        if (i === 1) throw failure;
      },
    });
    await expect(processFile(path, sink, { batchSize: 10 })).rejects.toBe(failure);
    expect(sink.writes()).toHaveLength(2);
    expect(sink.calls.at(-1)).toEqual({ kind: 'abort', reason: failure });
    expect(sink.kinds()).not.toContain('finish');
  });

  it('a failing finish aborts the sink', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(3)]);
    const failure = new Error('export failed');
    const sink = new RecordingSink({
      onFinish: () => {
        throw failure;
      },
    });
    await expect(processFile(path, sink)).rejects.toBe(failure);
    expect(sink.kinds().slice(-2)).toEqual(['finish', 'abort']);
  });
});

describe('processFile and AbortSignal', () => {
  it('stops at the next batch boundary with ProcessAbortedError carrying the reason, and aborts the sink', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(1000)]);
    const controller = new AbortController();
    const reason = new Error('time limit');
    const sink = new RecordingSink({
      onWrite: (i) => {
        if (i === 2) controller.abort(reason);
      },
    });
    const error = await processFile(path, sink, { batchSize: 50, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessAbortedError);
    expect((error as ProcessAbortedError).reason).toBe(reason);
    expect(sink.writes()).toHaveLength(3);
    expect(sink.writes().every((b) => b.clean.length + b.exceptions.length === 50)).toBe(true);
    expect(sink.kinds().at(-1)).toBe('abort');
    expect(sink.kinds()).not.toContain('finish');
    expect(sink.kinds()).not.toContain('flush');
  });

  it('an already aborted signal stops before the file is opened', async () => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(3)]);
    const sink = new RecordingSink();
    const error = await processFile(path, sink, { signal: AbortSignal.abort('stop') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessAbortedError);
    expect((error as ProcessAbortedError).reason).toBe('stop');
    expect(sink.kinds()).toEqual(['abort']);
  });

  // The reader checks the same signal and throws its own CANCELLED error; callers must still see
  // the abort and its reason (a worker tells shutdown and timeout apart by it).
  it.each<Phase>(['parsing', 'cleaning'])('an abort while the reader is working (phase %s) is a ProcessAbortedError too', async (phase) => {
    const path = await writeCsvFile(nextPath('csv'), [HEADER, ...people(300)]);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const sink = new RecordingSink();
    const error = await processFile(path, sink, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === phase) controller.abort(reason);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessAbortedError);
    expect((error as ProcessAbortedError).reason).toBe(reason);
    expect(sink.kinds().at(-1)).toBe('abort');
    expect(sink.writes()).toHaveLength(0);
  });

  it('an abort during an xlsx sheet is a ProcessAbortedError', async () => {
    const path = await writeXlsxFile(nextPath('xlsx'), [{ name: 'S', rows: [HEADER, ...people(300)] }]);
    const controller = new AbortController();
    const sink = new RecordingSink({ onWrite: () => controller.abort('cancelled by user') });
    const error = await processFile(path, sink, { signal: controller.signal, batchSize: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessAbortedError);
    expect((error as ProcessAbortedError).reason).toBe('cancelled by user');
    expect(sink.writes()).toHaveLength(1);
  });
});

describe('processFile with workbooks', () => {
  it('processes every sheet with data, one layout each, batches never mixing sheets', async () => {
    const path = await writeXlsxFile(nextPath('xlsx'), [
      { name: '客户', rows: [HEADER, ...people(7)] },
      { name: '空表', rows: [] },
      {
        name: '订单',
        rows: [
          ['订单号', '金额', '下单日期'],
          ['A001', 12.5, new Date(Date.UTC(2024, 0, 15))],
          [null, null, null],
          ['A002', 100, '2024-02-30'],
          ['A003', 7, '2024/3/1'],
          ['A004', 8, new Date(Date.UTC(2024, 3, 1))],
          ['A005', 9, '2024年5月1日'],
        ],
      },
      { name: '只有表头', rows: [['编号', '电话']] },
    ]);
    const sink = new RecordingSink();
    const stats = await processFile(path, sink, { batchSize: 3 });

    const layouts = sink.layouts();
    expect(layouts.map((l) => [l.name, l.index])).toEqual([
      ['客户', 0],
      ['订单', 1],
      ['只有表头', 2],
    ]);
    expect(layouts[1]).toMatchObject({
      headers: ['订单号', '金额', '下单日期'],
      types: ['text', 'number', 'date'],
      cleanColumns: ['订单号', '金额', '下单日期'],
    });
    expect(stats.sheets.map((s) => [s.name, s.rows])).toEqual([
      ['客户', 7],
      ['订单', 5],
      ['只有表头', 0],
    ]);
    expect(stats).toMatchObject({ format: 'xlsx', totalRows: 12, cleanedRows: 9, exceptionRows: 3 });

    // Each sheet's batches come after its sheet() call and hold only its records.
    let currentSheet = -1;
    for (const call of sink.calls) {
      if (call.kind === 'sheet') currentSheet = call.layout.index;
      if (call.kind === 'write') {
        for (const r of [...call.batch.clean, ...call.batch.exceptions]) expect(r.sheetIndex).toBe(currentSheet);
      }
    }
    const orders = sink
      .records()
      .filter((r) => r.sheetIndex === 1)
      .sort((a, b) => a.rowNumber - b.rowNumber);
    expect(orders.map((r) => [r.type, r.rowNumber, r.values])).toEqual([
      ['clean', 2, ['A001', '12.5', '2024-01-15']],
      ['exception', 4, ['A002', '100', '2024-02-30']],
      ['clean', 5, ['A003', '7', '2024-03-01']],
      ['clean', 6, ['A004', '8', '2024-04-01']],
      ['clean', 7, ['A005', '9', '2024-05-01']],
    ]);
  });

  it('passes the workbook 1904 date system to the cleaner', async () => {
    const rows = [
      ['编号', '日期'],
      ['a', 1],
      ['b', 0],
    ];
    const path1904 = await writeXlsxFile(nextPath('xlsx'), [{ name: 'S', rows }], { date1904: true });
    const path1900 = await writeXlsxFile(nextPath('xlsx'), [{ name: 'S', rows }]);
    const sink1904 = new RecordingSink();
    const sink1900 = new RecordingSink();
    await processFile(path1904, sink1904);
    await processFile(path1900, sink1900);
    expect(sink1904.calls[0]).toMatchObject({ kind: 'begin', details: { date1904: true } });
    expect(sink1904.records().map((r) => [r.type, r.values[1]])).toEqual([
      ['clean', '1904-01-02'],
      ['clean', '1904-01-01'],
    ]);
    expect(sink1900.records().map((r) => [r.type, r.values[1]])).toEqual([
      ['clean', '1900-01-01'],
      ['exception', '0'],
    ]);
  });
});

describe('TableCleaner and what the reader repaired', () => {
  /** A reader stand-in: one sheet, the given rows, and what the reader says it removed. */
  function reader(rows: RawRow[], removedNulBytes: number): TableReader {
    const details: TableDetails = { format: 'csv', encoding: 'utf-8', delimiter: ',', sheetCount: 1, removedNulBytes: 0 };
    return {
      details,
      estimatedTotalRows: () => rows.length,
      close: async () => undefined,
      async *[Symbol.asyncIterator]() {
        yield { kind: 'sheet', sheet: { name: 'Sheet1', index: 0, headers: HEADER } };
        yield { kind: 'rows', rows };
        details.removedNulBytes = removedNulBytes; // known only at the end of the file
      },
    };
  }

  async function run(source: TableReader): Promise<CleanEvent[]> {
    const cleaner = new TableCleaner(source);
    const events: CleanEvent[] = [];
    for await (const event of source) events.push(...(event.kind === 'sheet' ? cleaner.startSheet(event.sheet) : cleaner.addRows(event.rows)));
    events.push(...cleaner.end());
    return events;
  }

  it('a row flagged invalidEncoding is an INVALID_ENCODING exception; removed NUL bytes are counted', async () => {
    const events = await run(
      reader(
        [
          { rowNumber: 2, cells: VALID_ROW },
          { rowNumber: 3, cells: VALID_ROW.map((c, i) => (i === 4 ? '正\uFFFD常' : c)), invalidEncoding: true },
          { rowNumber: 4, cells: VALID_ROW },
        ],
        3,
      ),
    );
    const end = events.at(-1);
    expect(end?.kind).toBe('end');
    const stats = end?.kind === 'end' ? end.stats : undefined;
    expect(stats).toMatchObject({ totalRows: 3, cleanedRows: 2, exceptionRows: 1, removedNulBytes: 3, errorsByType: { INVALID_ENCODING: 1 } });
    const batch = events.find((e) => e.kind === 'batch');
    expect(batch?.kind === 'batch' && batch.batch.exceptions.map((r) => r.rowNumber)).toEqual([3]);
  });

  it('a file without repairs has no removedNulBytes in its statistics', async () => {
    const end = (await run(reader([{ rowNumber: 2, cells: VALID_ROW }], 0))).at(-1);
    expect(end?.kind === 'end' && end.stats).not.toHaveProperty('removedNulBytes');
  });
});
