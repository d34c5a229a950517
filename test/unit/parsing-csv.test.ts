import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { openTable, readAllRows, guessDelimiter, guessNewline } from '../../src/parsing/index.js';
import type { OpenOptions, TableEvent } from '../../src/parsing/types.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parsing', 'csv');
const fixture = (name: string): string => join(FIXTURES, name);
const tmp = mkdtempSync(join(tmpdir(), 'parsing-csv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
function tempFile(content: string | Buffer, name = `f${counter++}.csv`): string {
  const file = join(tmp, name);
  writeFileSync(file, content);
  return file;
}

const HEADERS = ['姓名', '手机号', '出生日期', '地址', '备注'];
const ROWS = [
  ['张三', '13812345678', '1990-05-17', '江苏省南京市玄武区中山路1号', '正常'],
  ['李四', '138 1234 5678', '1985/3/2', '北京朝阳区建国路88号', '手机有空格'],
  ['王五', '+86 139-1234-5678', '1992年12月1日', '广东深圳南山区科技园南区', '带国家码'],
  ['赵六', '12345', 'abc', '我家的地址是浙江省杭州市西湖区文三路', '手机和日期无效'],
  [' 钱七 ', '021-12345678', '20000229', '上海市浦东新区世纪大道100号', '座机; 姓名前后有空格'],
];

async function errorOf(path: string, options?: OpenOptions): Promise<{ code?: string; message: string }> {
  try {
    await readAllRows(path, options);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('CSV encodings and delimiters', () => {
  it.each([
    ['utf8.csv', 'utf-8', ','],
    ['utf8-bom.csv', 'utf-8', ','],
    ['gbk.csv', 'gb18030', ','],
    ['utf16le-bom.csv', 'utf-16le', '\t'],
    ['utf16be-bom.csv', 'utf-16be', ','],
    ['semicolon.csv', 'utf-8', ';'],
    ['tab.csv', 'utf-8', '\t'],
    ['pipe.csv', 'utf-8', '|'],
  ])('%s is read as %s with delimiter %j', async (name, encoding, delimiter) => {
    const { details, sheets } = await readAllRows(fixture(name));
    expect(details).toMatchObject({ format: 'csv', encoding, delimiter, sheetCount: 1 });
    expect(sheets).toHaveLength(1);
    expect(sheets[0].name).toBe('Sheet1');
    expect(sheets[0].headers).toEqual(HEADERS);
    expect(sheets[0].rows.map((r) => r.rowNumber)).toEqual([2, 3, 4, 5, 6]);
    expect(sheets[0].rows.map((r) => r.cells)).toEqual(ROWS);
  });

  it('prefers UTF-8 when the bytes decode cleanly, GB18030 otherwise, even for a short GBK file', async () => {
    const short = tempFile(iconv.encode('姓名\n张三\n', 'gbk'));
    expect((await readAllRows(short)).sheets[0].rows[0].cells).toEqual(['张三']);
    expect((await readAllRows(short)).details.encoding).toBe('gb18030');
    const utf8 = tempFile('姓名\n张三\n');
    expect((await readAllRows(utf8)).details.encoding).toBe('utf-8');
  });

  it('does not mistake UTF-8 for GB18030 when the 64 KB sample ends inside a character', async () => {
    // 3-byte characters: a 64 KB sample cannot end on a character boundary for every row length.
    const row = '王五,广东省深圳市南山区科技园南区\n';
    const file = tempFile('姓名,地址\n' + row.repeat(Math.ceil((70 * 1024) / Buffer.byteLength(row))));
    const { details, sheets } = await readAllRows(file);
    expect(details.encoding).toBe('utf-8');
    expect(sheets[0].rows.every((r) => r.cells[1] === '广东省深圳市南山区科技园南区')).toBe(true);
  });

  it('lets options.encoding and options.delimiter override detection', async () => {
    const forced = await readAllRows(fixture('gbk.csv'), { encoding: 'gbk' });
    expect(forced.sheets[0].rows[0].cells[0]).toBe('张三');
    // Forcing a wrong delimiter gives one column per line: the override really applies.
    const semicolon = await readAllRows(fixture('utf8.csv'), { delimiter: ';' });
    expect(semicolon.details.delimiter).toBe(';');
    expect(semicolon.sheets[0].headers).toEqual(['姓名,手机号,出生日期,地址,备注']);
    expect((await errorOf(fixture('utf8.csv'), { encoding: 'no-such-encoding' })).code).toBe('INVALID_REQUEST');
  });

  it('decodes GB18030 and UTF-16 across read-chunk boundaries (files larger than one 256 KB read)', async () => {
    const rows = Array.from({ length: 20_000 }, (_v, i) => [`用户${i}`, `广东省深圳市南山区科技园${i}号`, `备注"${i}"\n第二行`]);
    const text = '姓名,地址,备注\r\n' + rows.map((r) => `${r[0]},${r[1]},"${r[2].replace(/"/g, '""')}"`).join('\r\n') + '\r\n';
    for (const [encoding, bytes] of [
      ['gb18030', iconv.encode(text, 'gb18030')],
      ['utf-16le', iconv.encode(text, 'utf16le', { addBOM: true })],
    ] as const) {
      const { details, sheets } = await readAllRows(tempFile(bytes));
      expect(details.encoding).toBe(encoding);
      expect(sheets[0].rows.map((r) => r.cells)).toEqual(rows);
    }
  });
});

describe('CSV records', () => {
  it('handles RFC 4180 quoting, blank lines and ragged rows with spreadsheet row numbers', async () => {
    const { sheets } = await readAllRows(fixture('quoted-multiline.csv'));
    expect(sheets[0].headers).toEqual(HEADERS);
    expect(sheets[0].rows).toEqual([
      { rowNumber: 2, cells: ['张三', '13812345678', '1990-05-17', '江苏省南京市玄武区\n中山路1号', '多行\r\n备注'] },
      // row 3 is blank: skipped, but numbered
      { rowNumber: 4, cells: ['李"四"', '13912345678', '1985-03-02', '北京市,朝阳区', ''] },
      { rowNumber: 5, cells: ['王五', '13712345678'] },
      { rowNumber: 6, cells: ['赵六', '13612345678', '1992-12-01', '上海市', '备注', '多余字段'] },
      // rows 7 (spaces) and 8 (empty fields) are blank
      { rowNumber: 9, cells: ['孙七', ' 13512345678 ', '2000-01-01', '  重庆市  ', ''] },
    ]);
  });

  it('trims headers and numbers rows from the first record, leading blank lines included', async () => {
    const { sheets } = await readAllRows(tempFile('\n\n 姓名 ,\t手机号\n张三,138\n'));
    expect(sheets[0].headers).toEqual(['姓名', '手机号']);
    expect(sheets[0].rows).toEqual([{ rowNumber: 4, cells: ['张三', '138'] }]);
  });

  it('reads CRLF, LF and CR line endings alike', async () => {
    for (const newline of ['\r\n', '\n', '\r']) {
      const { sheets } = await readAllRows(tempFile(['a,b', '1,2', '3,4'].join(newline) + newline));
      expect(sheets[0].rows.map((r) => r.cells)).toEqual([
        ['1', '2'],
        ['3', '4'],
      ]);
    }
  });

  it('accepts a header-only file and rejects a file without a header', async () => {
    const { sheets } = await readAllRows(fixture('header-only.csv'));
    expect(sheets).toEqual([{ name: 'Sheet1', headers: ['姓名', '手机号', '出生日期'], rows: [] }]);
    expect((await errorOf(fixture('blank-lines-only.csv'))).code).toBe('EMPTY_FILE');
    expect((await errorOf(tempFile(''))).code).toBe('EMPTY_FILE');
    // Blank content beyond the 64 KB sniffing sample is only found while reading.
    expect((await errorOf(tempFile(' \n'.repeat(40_000)))).code).toBe('EMPTY_FILE');
  });

  it('rejects an unterminated quote at the end of the file', async () => {
    const error = await errorOf(tempFile('a,b\n1,"2\n3,4\n'));
    expect(error.code).toBe('CORRUPTED_FILE');
    expect(error.message).toContain('第 2 行的引号');
  });
});

describe('CSV limits', () => {
  it('maxRows counts data rows (not the header)', async () => {
    await expect(readAllRows(fixture('utf8.csv'), { limits: { maxRows: 5 } })).resolves.toBeDefined();
    expect((await errorOf(fixture('utf8.csv'), { limits: { maxRows: 4 } })).code).toBe('ROW_LIMIT_EXCEEDED');
  });

  it('maxColumns applies to the header and to every row', async () => {
    expect((await errorOf(fixture('utf8.csv'), { limits: { maxColumns: 4 } })).code).toBe('COLUMN_LIMIT_EXCEEDED');
    expect((await errorOf(tempFile('a,b\n1,2,3,4\n'), { limits: { maxColumns: 3 } })).code).toBe('COLUMN_LIMIT_EXCEEDED');
  });

  it('maxLineLength applies to records, quoted multi-line ones included', async () => {
    expect((await errorOf(fixture('utf8.csv'), { limits: { maxLineLength: 30 } })).code).toBe('LINE_TOO_LONG');
    const longQuoted = tempFile(`a,b\n1,"${'x\n'.repeat(100)}"\n`);
    expect((await errorOf(longQuoted, { limits: { maxLineLength: 150 } })).code).toBe('LINE_TOO_LONG');
    await expect(readAllRows(longQuoted, { limits: { maxLineLength: 250 } })).resolves.toBeDefined();
  });

  it('stops a 10 MB single line with LINE_TOO_LONG without reading it all', async () => {
    const file = tempFile('x'.repeat(10 * 1024 * 1024));
    const error = await errorOf(file);
    expect(error.code).toBe('LINE_TOO_LONG');
  });
});

describe('CSV reader lifecycle', () => {
  it('delivers rows in batches of batchSize and reports exact totals at the end', async () => {
    const file = tempFile('n\n' + Array.from({ length: 2500 }, (_v, i) => String(i)).join('\n') + '\n');
    const reader = await openTable(file, { batchSize: 1000 });
    expect(reader.estimatedTotalRows()).toBeGreaterThan(1000);
    const sizes: number[] = [];
    for await (const event of reader) if (event.kind === 'rows') sizes.push(event.rows.length);
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(reader.estimatedTotalRows()).toBe(2500);
  });

  it('closes its file when iteration stops early, and close() is idempotent', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const reader = await openTable(fixture('utf8.csv'), { batchSize: 1 });
    for await (const event of reader) if (event.kind === 'rows') break;
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
    await reader.close();
    await reader.close();
  });

  it('can be iterated once', async () => {
    const reader = await openTable(fixture('utf8.csv'));
    for await (const _event of reader) void _event;
    expect(() => reader[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });

  it('stops with CANCELLED when the signal aborts', async () => {
    const controller = new AbortController();
    const file = tempFile('n\n' + '1\n'.repeat(300_000));
    const reader = await openTable(file, { signal: controller.signal });
    const events: TableEvent[] = [];
    await expect(
      (async () => {
        for await (const event of reader) {
          events.push(event);
          controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(events.length).toBeGreaterThan(0);
  });
});

describe('delimiter and line-break detection', () => {
  it('picks the delimiter giving a consistent column count, respecting quotes', () => {
    expect(guessDelimiter('a;b;c\n1;2;3\n', '\n')).toBe(';');
    expect(guessDelimiter('a|b\n"1|x,y,z"|2\n', '\n')).toBe('|');
    expect(guessDelimiter('a,b\tc\n1,2\t3\n4,5\t6\n', '\n')).toBe(',');
    expect(guessDelimiter('名称\n值\n', '\n')).toBe(',');
    expect(guessDelimiter('a\tb\n"multi\nline"\t2\n', '\n')).toBe('\t');
    // Same field count either way, but only '|' makes the quotes pair up.
    expect(guessDelimiter('|",,"|\n', '\n')).toBe('|');
    // Same field count either way, but a tab split leaves quotes inside the fields.
    expect(guessDelimiter('|"\té"\n', '\n')).toBe('|');
    expect(guessDelimiter(',"""","""|",\n,"| ",,""""\n', '\n')).toBe(',');
  });

  it('finds the line break outside quotes', () => {
    expect(guessNewline('a,b\r\n1,2\r\n')).toBe('\r\n');
    expect(guessNewline('a,"x\r\ny"\n1,2\n')).toBe('\n');
    expect(guessNewline('a,b\r1,2\r')).toBe('\r');
  });
});

describe('dirty CSV is read, not rejected (issue 10.5)', () => {
  it('removes NUL bytes inside cells and counts them', async () => {
    const file = tempFile(Buffer.from('姓名,备注\n张\u0000三,a\u0000b\n李四,ok\n'));
    const { details, sheets } = await readAllRows(file);
    expect(details.removedNulBytes).toBe(2);
    expect(sheets[0].rows.map((r) => r.cells)).toEqual([
      ['张三', 'ab'],
      ['李四', 'ok'],
    ]);
  });

  it('reads a short UTF-8 file with a few invalid sequences as UTF-8 and flags exactly the rows that held them', async () => {
    const bytes = Buffer.concat([
      Buffer.from('姓名,地址\n张三,北京市朝阳区\n'),
      Buffer.from([0xe6, 0x9d, 0x8e, 0xff, 0x2c, 0xc3, 0x28, 0x0a]), // 李\xff,\xc3(
      Buffer.from('王五,上海市\n'),
    ]);
    const { details, sheets } = await readAllRows(tempFile(bytes));
    expect(details.encoding).toBe('utf-8');
    const rows = sheets[0].rows;
    expect(rows.map((r) => r.cells)).toEqual([
      ['张三', '北京市朝阳区'],
      ['李\ufffd', '\ufffd('],
      ['王五', '上海市'],
    ]);
    expect(rows.map((r) => r.invalidEncoding === true)).toEqual([false, true, false]);
  });

  it('still reads GBK as GBK, and still rejects binary files and text made mostly of NUL', async () => {
    const gbk = await readAllRows(tempFile(iconv.encode('姓名,地址\n张三,广东省深圳市南山区\n', 'gbk')));
    expect(gbk.details.encoding).toBe('gb18030');
    expect(gbk.sheets[0].rows[0].invalidEncoding).toBeUndefined();
    const noise = Buffer.alloc(4096);
    for (let i = 0, s = 7; i < noise.length; i++) noise[i] = (s = (s * 1103515245 + 12345) & 0x7fffffff) >>> 16;
    expect((await errorOf(tempFile(noise))).code).toBe('UNSUPPORTED_FILE_TYPE');
    expect((await errorOf(tempFile(Buffer.concat([Buffer.from('a,b\n'), Buffer.alloc(200)])))).code).toBe('UNSUPPORTED_FILE_TYPE');
  });
});
