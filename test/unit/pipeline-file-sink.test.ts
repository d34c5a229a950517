import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSink } from '../../src/pipeline/file-sink.js';
import { ProcessAbortedError, processFile } from '../../src/pipeline/process-file.js';
import { makeTempDir, readExportTable, writeCsvFile, writeXlsxFile } from '../support/pipeline-files.js';

const HEADER = ['姓名', '手机号', '出生日期', '地址', '备注'];
const CLEAN_HEADER = ['姓名', '手机号', '出生日期', '地址_省', '地址_市', '地址_区', '地址_详细地址', '备注'];
const EXCEPTION_HEADER = ['行号', ...HEADER, '异常原因'];

let tmp: { dir: string; remove: () => Promise<void> };
let counter = 0;
const nextName = (label: string) => `${label}-${++counter}`;

beforeAll(async () => {
  tmp = await makeTempDir('dcs-file-sink-');
});
afterAll(async () => {
  await tmp.remove();
});

async function inputCsv(rows: string[][]): Promise<string> {
  return writeCsvFile(join(tmp.dir, `${nextName('in')}.csv`), rows);
}

function people(n: number): string[][] {
  return Array.from({ length: n }, (_, i) =>
    i % 4 === 3
      ? [`无效${i}`, `12${i}`, '2024-13-01', '北京市朝阳区建国路88号', `备注${i}`]
      : [`用户${i}`, `138${String(i).padStart(8, '0')}`, '2024/1/5', '江苏省南京市玄武区中山路1号', `备注${i}`],
  );
}

describe('FileSink', () => {
  it('writes clean_data.csv and exception_data.csv (UTF-8 with BOM) with the R11 columns, and nothing else', async () => {
    const input = await inputCsv([HEADER, ...people(4)]);
    const out = join(tmp.dir, nextName('out'), 'nested');
    const sink = new FileSink(out, 'csv');
    const stats = await processFile(input, sink);

    expect(sink.outputs).toEqual({ clean: join(out, 'clean_data.csv'), exceptions: join(out, 'exception_data.csv') });
    expect((await readdir(out)).sort()).toEqual(['clean_data.csv', 'exception_data.csv']);
    const clean = await readExportTable(sink.outputs.clean);
    expect(clean.bom).toBe(true);
    expect(clean.rows).toEqual([
      CLEAN_HEADER,
      ['用户0', '13800000000', '2024-01-05', '江苏省', '南京市', '玄武区', '中山路1号', '备注0'],
      ['用户1', '13800000001', '2024-01-05', '江苏省', '南京市', '玄武区', '中山路1号', '备注1'],
      ['用户2', '13800000002', '2024-01-05', '江苏省', '南京市', '玄武区', '中山路1号', '备注2'],
    ]);
    const exceptions = await readExportTable(sink.outputs.exceptions);
    expect(exceptions.bom).toBe(true);
    expect(exceptions.rows).toHaveLength(2);
    expect(exceptions.rows[0]).toEqual(EXCEPTION_HEADER);
    expect(exceptions.rows[1].slice(0, 6)).toEqual(['5', '无效3', '123', '2024-13-01', '北京市朝阳区建国路88号', '备注3']);
    expect(exceptions.rows[1][6]).toMatch(/^手机号: .+（123）；出生日期: .+（2024-13-01）$/);
    expect(stats).toMatchObject({ totalRows: 4, cleanedRows: 3, exceptionRows: 1 });
  });

  it('writes xlsx outputs that read back to the same cells', async () => {
    const input = await inputCsv([HEADER, ...people(4)]);
    const out = join(tmp.dir, nextName('out'));
    const sink = new FileSink(out, 'xlsx');
    await processFile(input, sink);
    expect((await readdir(out)).sort()).toEqual(['clean_data.xlsx', 'exception_data.xlsx']);
    const clean = await readExportTable(sink.outputs.clean);
    expect(clean.sheetNames).toEqual(['清洗数据']);
    expect(clean.rows[0]).toEqual(CLEAN_HEADER);
    expect(clean.rows[3]).toEqual(['用户2', '13800000002', '2024-01-05', '江苏省', '南京市', '玄武区', '中山路1号', '备注2']);
    const exceptions = await readExportTable(sink.outputs.exceptions);
    expect(exceptions.sheetNames).toEqual(['异常数据']);
    expect(exceptions.rows.map((r) => r.slice(0, 3))).toEqual([
      ['行号', '姓名', '手机号'],
      ['5', '无效3', '123'],
    ]);
  });

  it('a ragged row is reported without an empty field name in 异常原因', async () => {
    const input = await inputCsv([HEADER, ['王五', '13712345678']]);
    const out = join(tmp.dir, nextName('out'));
    const sink = new FileSink(out, 'csv');
    await processFile(input, sink);
    const exceptions = await readExportTable(sink.outputs.exceptions);
    expect(exceptions.rows[1]).toEqual(['2', '王五', '13712345678', '', '', '', '列数不一致：表头有5列，本行有2列']);
  });

  it('multi-sheet workbooks: one table with 工作表 and the union of the columns; awkward text survives the spool', async () => {
    const awkward = '行1\r\n行2\u2028段"引号"，😀';
    const input = await writeXlsxFile(join(tmp.dir, `${nextName('in')}.xlsx`), [
      {
        name: '客户',
        rows: [
          ['姓名', '手机号', '地址'],
          [awkward, '13812345678', '上海市浦东新区世纪大道100号'],
          ['李四', '123', ''],
        ],
      },
      {
        name: '订单',
        rows: [
          ['订单号', '手机号', '下单日期'],
          ['A001', '+86 139 1234 5678', new Date(Date.UTC(2024, 0, 15))],
        ],
      },
    ]);
    for (const format of ['csv', 'xlsx'] as const) {
      const out = join(tmp.dir, nextName('out'));
      const sink = new FileSink(out, format);
      const stats = await processFile(input, sink, { batchSize: 1 });
      expect(stats).toMatchObject({ totalRows: 3, cleanedRows: 2, exceptionRows: 1 });
      expect((await readdir(out)).sort()).toEqual([`clean_data.${format}`, `exception_data.${format}`]);
      const clean = await readExportTable(sink.outputs.clean);
      expect(clean.rows).toEqual([
        ['工作表', '姓名', '手机号', '地址_省', '地址_市', '地址_区', '地址_详细地址', '订单号', '下单日期'],
        // XML text reads CR LF as LF (Excel too): the xlsx cell shows the same two lines.
        ['客户', format === 'xlsx' ? awkward.replace(/\r\n/g, '\n') : awkward, '13812345678', '上海市', '上海市', '浦东新区', '世纪大道100号', '', ''],
        ['订单', '', '13912345678', '', '', '', '', 'A001', '2024-01-15'],
      ]);
      const exceptions = await readExportTable(sink.outputs.exceptions);
      expect(exceptions.rows.map((r) => r.slice(0, -1))).toEqual([
        ['工作表', '行号', '姓名', '手机号', '地址', '订单号', '下单日期'],
        ['客户', '3', '李四', '123', '', '', ''],
      ]);
    }
  });

  it('replaces the outputs of an earlier run in the same directory', async () => {
    const out = join(tmp.dir, nextName('out'));
    await processFile(await inputCsv([HEADER, ...people(8)]), new FileSink(out, 'csv'));
    const sink = new FileSink(out, 'csv');
    await processFile(await inputCsv([HEADER, ...people(2)]), sink);
    expect((await readExportTable(sink.outputs.clean)).rows).toHaveLength(3);
    expect((await readdir(out)).sort()).toEqual(['clean_data.csv', 'exception_data.csv']);
  });
});

describe('FileSink leaves nothing behind on failure', () => {
  async function expectEmpty(dir: string): Promise<void> {
    const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
    expect(entries).toEqual([]);
  }

  it('header-only input (EMPTY_FILE)', async () => {
    const out = join(tmp.dir, nextName('out'));
    await expect(processFile(await inputCsv([HEADER]), new FileSink(out, 'csv'))).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    await expectEmpty(out);
  });

  it('an unsupported file', async () => {
    const out = join(tmp.dir, nextName('out'));
    const input = join(tmp.dir, `${nextName('in')}.csv`);
    await writeFile(input, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    await expect(processFile(input, new FileSink(out, 'xlsx'))).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
    await expectEmpty(out);
  });

  it.each(['csv', 'xlsx'] as const)('a reader error after rows were written (%s output)', async (format) => {
    // The row limit is hit after several batches have gone to the partial outputs.
    const out = join(tmp.dir, nextName('out'));
    const error = await processFile(await inputCsv([HEADER, ...people(50)]), new FileSink(out, format), { batchSize: 5, limits: { maxRows: 30 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ROW_LIMIT_EXCEEDED' });
    await expectEmpty(out);
  });

  it('a CSV that breaks off inside a quoted field', async () => {
    const out = join(tmp.dir, nextName('out'));
    const input = join(tmp.dir, `${nextName('in')}.csv`);
    const good = people(30)
      .map((r) => r.join(','))
      .join('\n');
    await writeFile(input, `${HEADER.join(',')}\n${good}\n张三,"13812345678\n`);
    await expect(processFile(input, new FileSink(out, 'csv'), { batchSize: 5 })).rejects.toMatchObject({ code: 'CORRUPTED_FILE' });
    await expectEmpty(out);
  });

  it.each([
    ['a single-sheet CSV', 'csv'],
    ['a multi-sheet workbook (spooled)', 'xlsx'],
  ])('an abort in the middle of %s', async (_, inputFormat) => {
    const rows = [HEADER, ...people(200)];
    const input =
      inputFormat === 'csv'
        ? await inputCsv(rows)
        : await writeXlsxFile(join(tmp.dir, `${nextName('in')}.xlsx`), [
            { name: 'A', rows },
            { name: 'B', rows },
          ]);
    for (const format of ['csv', 'xlsx'] as const) {
      const out = join(tmp.dir, nextName('out'));
      const controller = new AbortController();
      const error = await processFile(input, new FileSink(out, format), {
        batchSize: 20,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.processedRows >= 60) controller.abort('stop');
        },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProcessAbortedError);
      await expectEmpty(out);
    }
  });

  it('does not touch other files in the output directory', async () => {
    const out = join(tmp.dir, nextName('out'));
    await processFile(await inputCsv([HEADER, ...people(3)]), new FileSink(out, 'csv'));
    await writeFile(join(out, 'notes.txt'), 'keep me');
    await expect(processFile(await inputCsv([HEADER]), new FileSink(out, 'csv'))).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    expect((await readdir(out)).sort()).toEqual(['clean_data.csv', 'exception_data.csv', 'notes.txt']);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});
