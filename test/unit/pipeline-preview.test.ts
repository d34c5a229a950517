import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewFile } from '../../src/pipeline/preview.js';
import { processFile } from '../../src/pipeline/process-file.js';
import { csvText, makeTempDir, RecordingSink, writeCsvFile, writeXlsxFile } from '../support/pipeline-files.js';

const HEADER = ['姓名', '手机号', '出生日期', '地址', '金额'];

let tmp: { dir: string; remove: () => Promise<void> };
let counter = 0;
const nextPath = (ext: string) => join(tmp.dir, `p${++counter}.${ext}`);

beforeAll(async () => {
  tmp = await makeTempDir('dcs-preview-');
});
afterAll(async () => {
  await tmp.remove();
});

function rows(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => [`用户${i}`, `138${String(i).padStart(8, '0')}`, '2024/1/5', '江苏省南京市玄武区中山路1号', `${i}.5`]);
}

describe('previewFile', () => {
  it('shows headers, detected types and the first five non-empty rows as text', async () => {
    const path = nextPath('csv');
    await writeFile(path, csvText([HEADER, ['', '', '', '', ''], ...rows(8)]));
    const preview = await previewFile(path);
    expect(preview.format).toBe('csv');
    expect(preview.sheets).toHaveLength(1);
    expect(preview.sheets[0]).toEqual({
      name: 'Sheet1',
      headers: HEADER,
      detectedTypes: ['text', 'phone', 'date', 'address', 'number'],
      sampleRows: rows(5),
    });
  });

  it('detects types from values only in cells up to detectionMaxValueChars long, in the preview and the pipeline', async () => {
    // Neutral headers: only the values can say what a column holds (phones of 11 characters).
    const path = await writeCsvFile(nextPath('csv'), [['a', 'b'], ...rows(20).map((r) => [r[0], r[1]])]);
    expect((await previewFile(path)).sheets[0].detectedTypes).toEqual(['text', 'phone']);
    expect((await previewFile(path, { detectionMaxValueChars: 10 })).sheets[0].detectedTypes).toEqual(['text', 'text']);
    const sink = new RecordingSink();
    await processFile(path, sink, { threads: 0, detectionMaxValueChars: 10 });
    expect(sink.layouts()[0].types).toEqual(['text', 'text']);
  });

  it('cuts sample cells to 200 characters, so a huge cell does not make a huge answer', async () => {
    const long = '长'.repeat(100_000);
    const path = await writeCsvFile(nextPath('csv'), [['备注'], [long], ['短']]);
    const [sheet] = (await previewFile(path)).sheets;
    expect(sheet.sampleRows).toEqual([[`${'长'.repeat(199)}…`], ['短']]);
  });

  it('applies overrides and makes headers unique like the pipeline', async () => {
    const path = await writeCsvFile(nextPath('csv'), [
      ['手机号', '', '手机号'],
      ['13812345678', 'x', '13912345678'],
    ]);
    const preview = await previewFile(path, { columnTypes: { 手机号_2: 'text' } });
    expect(preview.sheets[0].headers).toEqual(['手机号', '列2', '手机号_2']);
    expect(preview.sheets[0].detectedTypes).toEqual(['phone', 'text', 'text']);
  });

  it('previews every sheet of a workbook, native cells shown as text', async () => {
    const path = await writeXlsxFile(nextPath('xlsx'), [
      { name: '客户', rows: [HEADER, ...rows(2)] },
      {
        name: '订单',
        rows: [
          ['订单号', '下单日期', '金额'],
          ['A001', new Date(Date.UTC(2024, 0, 15)), 12.5],
        ],
      },
    ]);
    const preview = await previewFile(path);
    expect(preview.format).toBe('xlsx');
    expect(preview.sheets.map((s) => [s.name, s.detectedTypes])).toEqual([
      ['客户', ['text', 'phone', 'date', 'address', 'number']],
      ['订单', ['text', 'date', 'number']],
    ]);
    expect(preview.sheets[1].sampleRows).toEqual([['A001', '2024-01-15', '12.5']]);
  });

  it('a CSV sample cut inside a quoted field still previews what was read', async () => {
    const path = nextPath('csv');
    await writeFile(path, `${csvText([HEADER, ...rows(3)])}张三,"13812345678\n未完`);
    const preview = await previewFile(path);
    expect(preview.sheets[0].sampleRows).toEqual(rows(3));
  });

  it('reads a CSV only as far as the sample: a problem further on does not fail the preview', async () => {
    const path = nextPath('csv');
    await writeFile(path, `${csvText([HEADER, ...rows(250)])}${'x'.repeat(5000)}\n`);
    const preview = await previewFile(path, { limits: { maxLineLength: 1000 } });
    expect(preview.sheets[0].sampleRows).toEqual(rows(5));
    expect(preview.sheets[0].detectedTypes).toEqual(['text', 'phone', 'date', 'address', 'number']);
  });

  it('a header-only file previews its headers; files without a header are EMPTY_FILE, others keep their error', async () => {
    const headerOnly = await writeCsvFile(nextPath('csv'), [HEADER]);
    expect((await previewFile(headerOnly)).sheets[0]).toMatchObject({ headers: HEADER, sampleRows: [] });
    const empty = nextPath('csv');
    await writeFile(empty, '');
    await expect(previewFile(empty)).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    const png = nextPath('csv');
    await writeFile(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    await expect(previewFile(png)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
  });
});
