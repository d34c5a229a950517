import { createWriteStream, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTableWriter, csvCell, looksLikeFormula } from '../../src/export/index.js';

/** A Writable that keeps everything written to it. */
function collector(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

async function csvBytes(columns: string[], rows: string[][]): Promise<Buffer> {
  const { stream, bytes } = collector();
  const writer = await createTableWriter('csv', stream, { name: 'ignored', columns });
  await writer.writeRows(rows);
  await writer.close();
  return bytes();
}

function parseCsv(bytes: Buffer): string[][] {
  const text = bytes.toString('utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  const parsed = Papa.parse<string[]>(text.slice(1), { delimiter: ',', newline: '\r\n', quoteChar: '"' });
  expect(parsed.errors).toEqual([]);
  // The file ends with CRLF, which papaparse reports as one last empty row.
  expect(parsed.data.at(-1)).toEqual(['']);
  return parsed.data.slice(0, -1);
}

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['南京市玄武区', '南京市玄武区'],
    ['he said "hi"', '"he said ""hi"""'],
    ['x,y', '"x,y"'],
    ['line1\nline2', '"line1\nline2"'],
    ['cr\rhere', '"cr\rhere"'],
    ['  lead', '"  lead"'],
    ['trail ', '"trail "'],
    ['=SUM(A1)', "'=SUM(A1)"],
    ['=1,2', `"'=1,2"`],
    ['@x', "'@x"],
    ['\tTAB', "'\tTAB"],
    ['\rCR', `"'\rCR"`],
    ['-12.5', '-12.5'],
    ['+3', '+3'],
    ['-.5', '-.5'],
    ['+1e5', '+1e5'],
    ['+8613800138000', '+8613800138000'],
    ['+86 138 0013 8000', "'+86 138 0013 8000"],
    ['-1+2', "'-1+2"],
    ['-', "'-"],
    ['+', "'+"],
    ['"=x"', '"""=x"""'],
    ['a=b', 'a=b'],
    // Separator-split cells (issue 10.6): each part a spreadsheet could split off is neutralized, and the cell quoted.
    ['a;=1+1', `"a;'=1+1"`],
    ['a,=1+1', `"a,'=1+1"`],
    ['a\t@SUM(A1)', `"a\t'@SUM(A1)"`],
    ['a; =HYPERLINK("x")', `"a; '=HYPERLINK(""x"")"`],
    ['=1;=2', `"'=1;'=2"`],
    ['x;-3,5', '"x;-3,5"'],
    ['x;-A1', `"x;'-A1"`],
    ['1990-05-17', '1990-05-17'],
  ])('%j → %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('looksLikeFormula tells formulas from signed numbers', () => {
    expect(looksLikeFormula('=A1')).toBe(true);
    expect(looksLikeFormula('+A1')).toBe(true);
    expect(looksLikeFormula('-12.5')).toBe(false);
    expect(looksLikeFormula('12.5')).toBe(false);
    expect(looksLikeFormula('')).toBe(false);
  });
});

describe('CSV table writer', () => {
  it('writes BOM, header and tricky cells byte for byte with CRLF line ends', async () => {
    const bytes = await csvBytes(
      ['姓名', '备注'],
      [
        ['he said "hi"', 'x,y'],
        ['line1\nline2', '南京'],
        ['  lead', ''],
        ['=SUM(A1)', '+8613800138000'],
        ['-12.5', '@x'],
      ],
    );
    const expected =
      '\uFEFF姓名,备注\r\n' + '"he said ""hi""","x,y"\r\n' + '"line1\nline2",南京\r\n' + '"  lead",\r\n' + "'=SUM(A1),+8613800138000\r\n" + "-12.5,'@x\r\n";
    expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('writes a one-column empty cell as "" so the record is not a blank line', async () => {
    const bytes = await csvBytes(['a'], [[''], ['x']]);
    expect(bytes.toString('utf8')).toBe('\uFEFFa\r\n""\r\nx\r\n');
  });

  it('writes only BOM and header when there are no rows', async () => {
    const bytes = await csvBytes(['a', 'b'], []);
    expect(bytes.toString('utf8')).toBe('\uFEFFa,b\r\n');
  });

  it('keeps rows whole across chunk boundaries and cells larger than a chunk', async () => {
    const huge = '长'.repeat(200_000) + ',"\n' + '😀'.repeat(50_000);
    const rows: string[][] = [];
    for (let i = 0; i < 20_000; i++) rows.push([`行${i}`, i === 7_777 ? huge : `值,${i}`, '😀'.repeat(i % 5)]);
    const parsed = parseCsv(await csvBytes(['a', 'b', 'c'], rows));
    expect(parsed[0]).toEqual(['a', 'b', 'c']);
    expect(parsed.slice(1)).toEqual(rows);
  });

  it('rejects a row whose width differs from the header', async () => {
    const { stream } = collector();
    const writer = await createTableWriter('csv', stream, { name: 'x', columns: ['a', 'b'] });
    await expect(writer.writeRows([['only one']])).rejects.toThrow(RangeError);
  });

  it('waits for drain on a slow stream: bounded buffer, rows complete and in order', async () => {
    const received: Buffer[] = [];
    let maxBuffered = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        maxBuffered = Math.max(maxBuffered, slow.writableLength);
        received.push(chunk);
        setTimeout(callback, 1);
      },
    });
    const writer = await createTableWriter('csv', slow, { name: 'x', columns: ['n', 'text'] });
    const total = 60_000;
    for (let start = 0; start < total; start += 1000) {
      const batch: string[][] = [];
      for (let i = start; i < start + 1000; i++) batch.push([String(i), `第${i}行的一些文字内容`]);
      await writer.writeRows(batch);
    }
    await writer.close();
    const bytes = Buffer.concat(received);
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    // Never more than one 256 KiB chunk waiting in the stream (plus the one being written).
    expect(maxBuffered).toBeLessThanOrEqual(512 * 1024);
    const parsed = parseCsv(bytes);
    expect(parsed).toHaveLength(total + 1);
    parsed.slice(1).forEach((row, i) => expect(row[0]).toBe(String(i)));
  });

  describe('with a file', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'export-csv-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('close() resolves once the file stream is finished and closed', async () => {
      const path = join(dir, 'out.csv');
      const out = createWriteStream(path);
      const writer = await createTableWriter('csv', out, { name: 'x', columns: ['a'] });
      await writer.writeRows([['1'], ['2']]);
      await writer.close();
      expect(out.writableFinished).toBe(true);
      expect(out.closed).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('\uFEFFa\r\n1\r\n2\r\n');
    });

    it('abort() destroys the stream without throwing and removes nothing', async () => {
      const path = join(dir, 'partial.csv');
      const out = createWriteStream(path);
      const writer = await createTableWriter('csv', out, { name: 'x', columns: ['a'] });
      await writer.writeRows([['1']]);
      await expect(writer.abort()).resolves.toBeUndefined();
      await expect(writer.abort()).resolves.toBeUndefined();
      expect(out.destroyed).toBe(true);
      expect(existsSync(path)).toBe(true);
      await expect(writer.writeRows([['2']])).rejects.toThrow(/aborted/);
      await expect(writer.close()).rejects.toThrow(/aborted/);
    });
  });

  it('surfaces an output error instead of crashing or hanging', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('ENOSPC: no space left on device'));
      },
    });
    const writer = await createTableWriter('csv', failing, { name: 'x', columns: ['a'] });
    const rows = Array.from({ length: 50_000 }, (_, i) => [`row ${i} with some text`]);
    await expect(
      (async () => {
        await writer.writeRows(rows);
        await writer.close();
      })(),
    ).rejects.toThrow(/ENOSPC/);
  });
});
