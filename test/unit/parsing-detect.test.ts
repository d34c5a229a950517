import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { detectFormat, guessEncoding, openTable } from '../../src/parsing/index.js';
import { writeZip } from '../support/zip-writer.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parsing');
const XLSX_FIXTURE = join(FIXTURES, 'xlsx', 'workbook.xlsx');
const XLS_FIXTURE = join(FIXTURES, 'xls', 'workbook.xls');
const tmp = mkdtempSync(join(tmpdir(), 'parsing-detect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('format by content', () => {
  it('recognizes the fixtures whatever their names', async () => {
    expect(await detectFormat(XLSX_FIXTURE)).toBe('xlsx');
    expect(await detectFormat(XLS_FIXTURE)).toBe('xls');
    expect(await detectFormat(join(FIXTURES, 'csv', 'gbk.csv'))).toBe('csv');
    expect(await detectFormat(file('book.csv', readFileSync(XLSX_FIXTURE)))).toBe('xlsx');
    expect(await detectFormat(file('book-xls.csv', readFileSync(XLS_FIXTURE)))).toBe('xls');
    expect(await detectFormat(file('table.xlsx', '姓名,手机号\n张三,138\n'), { originalName: 'table.xlsx' })).toBe('csv');
    expect(await detectFormat(file('noext', readFileSync(join(FIXTURES, 'csv', 'utf16le-bom.csv'))))).toBe('csv');
  });

  it('rejects other zips, images, documents, executables and binary noise as UNSUPPORTED_FILE_TYPE', async () => {
    const docx = join(tmp, 'a.docx');
    await writeZip(docx, [{ name: 'word/document.xml', data: '<w:document/>' }]);
    const plainZip = join(tmp, 'a.zip');
    await writeZip(plainZip, [{ name: 'data.csv', data: 'a,b\n1,2\n' }]);
    const candidates = [
      docx,
      plainZip,
      file('a.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])),
      file('a.pdf', '%PDF-1.4\n1 0 obj << >> endobj\n'),
      file('a.bin', Buffer.from(Array.from({ length: 4096 }, (_v, i) => (i * 7919) % 256))),
      file('a.html', '<!DOCTYPE html><html><table><tr><td>x</td></tr></table></html>'),
    ];
    for (const path of candidates) {
      expect(await codeOf(detectFormat(path)), path).toBe('UNSUPPORTED_FILE_TYPE');
      expect(await codeOf(openTable(path)), path).toBe('UNSUPPORTED_FILE_TYPE');
    }
  });

  it('tells empty, truncated and corrupted files apart', async () => {
    expect(await codeOf(detectFormat(file('empty.csv', '')))).toBe('EMPTY_FILE');
    expect(await codeOf(detectFormat(file('bom.csv', Buffer.from([0xef, 0xbb, 0xbf]))))).toBe('EMPTY_FILE');
    const xlsx = readFileSync(XLSX_FIXTURE);
    expect(await codeOf(openTable(file('cut.xlsx', xlsx.subarray(0, xlsx.length - 200))))).toBe('CORRUPTED_FILE');
    const xls = readFileSync(XLS_FIXTURE);
    expect(await codeOf(openTable(file('cut.xls', xls.subarray(0, 1024))))).toBe('CORRUPTED_FILE');
    const ole = Buffer.concat([xls.subarray(0, 8), Buffer.alloc(600, 0xab)]);
    expect(await codeOf(openTable(file('bad-ole.xls', ole)))).toBe('CORRUPTED_FILE');
  });

  it('answers FILE_NOT_FOUND for a missing path and UNSUPPORTED_FILE_TYPE for a directory', async () => {
    expect(await codeOf(openTable(join(tmp, 'missing.csv')))).toBe('FILE_NOT_FOUND');
    const dir = join(tmp, 'folder.csv');
    mkdirSync(dir);
    expect(await codeOf(openTable(dir))).toBe('UNSUPPORTED_FILE_TYPE');
  });

  it('accepts a header-only CSV at open time (the pipeline decides)', async () => {
    const reader = await openTable(file('header.csv', '姓名,手机号\n'));
    expect(reader.details.format).toBe('csv');
    await reader.close();
  });
});

describe('guessEncoding', () => {
  it('follows BOMs', () => {
    expect(guessEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), false)?.encoding).toBe('utf-8');
    expect(guessEncoding(Buffer.from([0xff, 0xfe, 0x61, 0]), false)).toMatchObject({ encoding: 'utf-16le', bomLength: 2, text: 'a' });
    expect(guessEncoding(Buffer.from([0xfe, 0xff, 0, 0x61]), false)).toMatchObject({ encoding: 'utf-16be', text: 'a' });
  });

  it('prefers UTF-8, falls back to GB18030, accepts a little damage and refuses noise', () => {
    expect(guessEncoding(Buffer.from('地址,手机'), false)?.encoding).toBe('utf-8');
    expect(guessEncoding(iconv.encode('地址,手机', 'gbk'), false)).toMatchObject({ encoding: 'gb18030', text: '地址,手机', lossy: false });
    // A sample cut in the middle of a character is not "invalid UTF-8" when more bytes follow.
    const cut = Buffer.from('地址').subarray(0, 4);
    expect(guessEncoding(cut, true)).toMatchObject({ encoding: 'utf-8', text: '地' });
    const damaged = Buffer.concat([Buffer.from('名字,地址\n'.repeat(50)), Buffer.from([0xff])]);
    expect(guessEncoding(damaged, false)).toMatchObject({ encoding: 'utf-8', lossy: true });
    let seed = 1;
    const noise = Buffer.from(Array.from({ length: 4000 }, () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff));
    expect(guessEncoding(noise, false)).toBeUndefined();
  });

  it('recognizes BOM-less UTF-16 by its zero bytes', () => {
    expect(guessEncoding(iconv.encode('name,phone\n张三,138\n', 'utf16le'), false)?.encoding).toBe('utf-16le');
    expect(guessEncoding(iconv.encode('name,phone\n张三,138\n', 'utf16be'), false)?.encoding).toBe('utf-16be');
  });
});
