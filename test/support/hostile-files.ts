import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import XLSX from '@e965/xlsx';
import iconv from 'iconv-lite';
import type { ErrorCode } from '../../src/errors.js';
import { DATE_STYLES_XML, minimalXlsxEntries, writeZip, type ZipEntrySpec } from './zip-writer.js';
import type { FileFormat } from '../../src/domain/index.js';

/**
 * The hostile-file corpus of SPEC §6: files that try to crash, hang, exhaust or fool the readers.
 * Written into a directory so any suite (parser, HTTP upload, worker) can run them; each case says
 * what a correct system does with it under the default limits: read it ('ok') or fail with that
 * AppError code.
 */
export interface HostileCase {
  name: string;
  /** Absolute path of the generated file. */
  file: string;
  expect: 'ok' | ErrorCode;
  note: string;
  /** The name a user would upload it under, when it differs from the stored file name. */
  originalName?: string;
  /** For 'ok' cases: the format content detection must choose. */
  format?: FileFormat;
  /** For 'ok' cases: data rows over all sheets, when known. */
  dataRows?: number;
}

/** SheetJS ships the CFB (OLE2) writer untyped; the three calls used here. */
interface CfbApi {
  utils: { cfb_new(): unknown; cfb_add(container: unknown, name: string, content: Buffer): void };
  write(container: unknown, options: { type: 'buffer' }): Buffer;
}
const CFB = XLSX.CFB as CfbApi;

const HEADER = '姓名,手机号,出生日期,地址\n';
const ROW = '张三,13812345678,1990-05-17,江苏省南京市玄武区中山路1号\n';

function oleFile(streams: Record<string, Buffer>): Buffer {
  const container = CFB.utils.cfb_new();
  for (const [name, content] of Object.entries(streams)) CFB.utils.cfb_add(container, name, content);
  return CFB.write(container, { type: 'buffer' });
}

function xlsBytes(): Buffer {
  const sheet = XLSX.utils.aoa_to_sheet([
    ['姓名', '手机号'],
    ['张三', 13812345678],
    ['李四', '139 1234 5678'],
  ]);
  const workbook = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(workbook, sheet, '名单');
  return XLSX.write(workbook, { type: 'buffer', bookType: 'xls' }) as Buffer;
}

async function validXlsxBytes(rows: number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('名单');
  sheet.addRow(['姓名', '手机号', '地址']);
  for (let i = 0; i < rows; i++) sheet.addRow([`用户${i}`, 13800000000 + i, `北京市朝阳区建国路${i}号`]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A row of inline-string cells for hand-made sheet XML. */
function inlineRow(rowNumber: number, values: string[]): string {
  const cells = values.map((v, i) => `<c r="${columnName(i)}${rowNumber}" t="inlineStr"><is><t>${v}</t></is></c>`);
  return `<row r="${rowNumber}">${cells.join('')}</row>`;
}

function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** Incompressible CJK text (a repeated character would trip the compression-ratio check first). */
function randomCjk(length: number): string {
  const bytes = noise(length * 2, 11);
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(0x4e00 + (bytes.readUInt16LE(2 * i) % 0x5000));
  return text;
}

/** Deterministic pseudo-random bytes (the corpus must be the same on every run). */
function noise(length: number, seed = 42): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = state >>> 16;
  }
  return bytes;
}

export async function writeHostileCorpus(dir: string): Promise<HostileCase[]> {
  await mkdir(dir, { recursive: true });
  const cases: HostileCase[] = [];
  const add = async (fileName: string, content: Buffer | string, rest: Omit<HostileCase, 'name' | 'file'>): Promise<void> => {
    const file = join(dir, fileName);
    await writeFile(file, content);
    cases.push({ name: fileName, file, ...rest });
  };
  const addZip = async (fileName: string, entries: Parameters<typeof writeZip>[1], rest: Omit<HostileCase, 'name' | 'file'>): Promise<void> => {
    const file = join(dir, fileName);
    await writeZip(file, entries);
    cases.push({ name: fileName, file, ...rest });
  };

  // — empty and nearly empty —
  await add('empty.csv', '', { expect: 'EMPTY_FILE', note: 'zero bytes' });
  await add('bom-only.csv', Buffer.from([0xef, 0xbb, 0xbf]), { expect: 'EMPTY_FILE', note: 'a UTF-8 BOM and nothing else' });
  await add('blank-lines.csv', '\r\n\n   \n\t\r\n', { expect: 'EMPTY_FILE', note: 'only blank and whitespace lines: no header' });
  await add('only-delimiters.csv', ',,,,\n , ,\n,,\n', { expect: 'EMPTY_FILE', note: 'records made of empty fields only' });
  await add('header-only.csv', HEADER, { expect: 'ok', format: 'csv', dataRows: 0, note: 'header row, no data: the pipeline decides' });

  // — sizes and shapes —
  await add('single-line-10mb.csv', 'a,'.repeat(5 * 1024 * 1024), { expect: 'LINE_TOO_LONG', note: '10 MB without a line break' });
  await add('very-long-cell.csv', `${HEADER}张三,"${'长'.repeat(1_100_000)}\n续",1990-01-01,北京\n`, {
    expect: 'LINE_TOO_LONG',
    note: 'one quoted cell of 1.1 M characters spanning lines',
  });
  await add('columns-10000.csv', `${Array.from({ length: 10_000 }, (_v, i) => `列${i}`).join(',')}\n${'1,'.repeat(9_999)}1\n`, {
    expect: 'COLUMN_LIMIT_EXCEEDED',
    note: '10,000 columns',
  });
  await add('ragged-and-wide-row.csv', `${HEADER}${'x,'.repeat(5000)}x\n`, {
    expect: 'COLUMN_LIMIT_EXCEEDED',
    note: 'a data row with 5,001 fields under a 4-column header',
  });
  await add('cr-only.csv', (HEADER + ROW + ROW).replace(/\n/g, '\r'), { expect: 'ok', format: 'csv', dataRows: 2, note: 'classic Mac CR line endings' });
  await add('lone-quote.csv', '"', { expect: 'CORRUPTED_FILE', note: 'a single double quote' });
  await add('unterminated-quote.csv', `${HEADER}${ROW}李四,"13912345678,1985-03-02,北京\n`, {
    expect: 'CORRUPTED_FILE',
    note: 'an opening quote never closed before EOF',
  });
  await add('quotes-everywhere.csv', `${HEADER}"a""b",c"d,"e\r\nf",""\n`, {
    expect: 'ok',
    format: 'csv',
    dataRows: 1,
    note: 'doubled quotes, a stray quote inside an unquoted field, a quoted CRLF',
  });

  // — encodings —
  await add('gbk.csv', iconv.encode(HEADER + ROW + '李四,13912345678,1985-03-02,广东省深圳市南山区\n', 'gbk'), {
    expect: 'ok',
    format: 'csv',
    dataRows: 2,
    note: 'GBK without BOM',
  });
  await add('utf16le-bom.csv', iconv.encode(HEADER + ROW, 'utf16le', { addBOM: true }), {
    expect: 'ok',
    format: 'csv',
    dataRows: 1,
    note: 'UTF-16LE with BOM',
  });
  await add('utf16be-bom.csv', iconv.encode(HEADER + ROW, 'utf16be', { addBOM: true }), {
    expect: 'ok',
    format: 'csv',
    dataRows: 1,
    note: 'UTF-16BE with BOM',
  });
  await add('utf16le-no-bom.csv', iconv.encode(HEADER + ROW + ROW, 'utf16le'), {
    expect: 'ok',
    format: 'csv',
    dataRows: 2,
    note: 'UTF-16LE without BOM (zero-byte pattern)',
  });
  await add('invalid-utf8.csv', Buffer.concat([Buffer.from(HEADER + ROW.repeat(40)), Buffer.from([0xff, 0xfe, 0x41, 0x2c, 0xc3, 0x28, 0x0a])]), {
    expect: 'ok',
    format: 'csv',
    dataRows: 41,
    note: 'UTF-8 with a few invalid bytes: read with replacement characters',
  });
  await add('nul-bytes.csv', `${HEADER}${ROW.repeat(30)}王\u0000五,13712345678,,\n`, {
    expect: 'ok',
    format: 'csv',
    dataRows: 31,
    note: 'a stray NUL byte in a text file',
  });

  // — not tables / disguised —
  await add('binary-noise.csv', noise(64 * 1024), { expect: 'UNSUPPORTED_FILE_TYPE', note: 'random bytes named .csv' });
  await add('document.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'), noise(2048)]), {
    expect: 'UNSUPPORTED_FILE_TYPE',
    note: 'PDF header',
  });
  await add('image.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise(1024)]), {
    expect: 'UNSUPPORTED_FILE_TYPE',
    note: 'PNG signature',
  });
  await add('program.exe', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56), noise(4096)]), {
    expect: 'UNSUPPORTED_FILE_TYPE',
    note: 'ELF executable',
    originalName: 'data.xlsx',
  });
  await add('windows.exe', Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'), Buffer.alloc(200), noise(2048)]), {
    expect: 'UNSUPPORTED_FILE_TYPE',
    note: 'PE/MZ executable',
  });
  const { gzipSync } = await import('node:zlib');
  await add('data.csv.gz', gzipSync(HEADER + ROW), { expect: 'UNSUPPORTED_FILE_TYPE', note: 'gzip-compressed CSV' });
  await add('web-export.xls', '<html><body><table><tr><td>姓名</td></tr><tr><td>张三</td></tr></table></body></html>', {
    expect: 'UNSUPPORTED_FILE_TYPE',
    note: 'HTML table saved as .xls by a web system',
  });
  await add('xls-renamed.csv', xlsBytes(), { expect: 'ok', format: 'xls', dataRows: 2, note: 'an .xls named .csv: content wins' });
  await add('csv-renamed.xlsx', HEADER + ROW, { expect: 'ok', format: 'csv', dataRows: 1, note: 'a CSV named .xlsx' });
  await add('passwd.csv', HEADER + ROW, {
    expect: 'ok',
    format: 'csv',
    dataRows: 1,
    originalName: '../../etc/passwd.csv',
    note: 'path-traversal upload name: the name must not matter',
  });
  await add('odd-name.csv', HEADER + ROW, {
    expect: 'ok',
    format: 'csv',
    dataRows: 1,
    originalName: '名单\n; rm -rf ~ $(reboot).xlsx',
    note: 'control characters and shell syntax in the upload name',
  });

  // — OLE2 —
  const xls = xlsBytes();
  await add('truncated.xls', xls.subarray(0, Math.floor(xls.length / 2)), { expect: 'CORRUPTED_FILE', note: 'an .xls cut in half' });
  await add('corrupted-ole.xls', Buffer.concat([xls.subarray(0, 8), noise(4096, 7)]), { expect: 'CORRUPTED_FILE', note: 'OLE2 magic followed by garbage' });
  await add('word.doc', oleFile({ WordDocument: noise(1024, 3) }), { expect: 'UNSUPPORTED_FILE_TYPE', note: 'OLE2 container without a workbook stream' });
  await add('encrypted.xlsx', oleFile({ EncryptionInfo: noise(512, 5), EncryptedPackage: noise(4096, 6) }), {
    expect: 'UNSUPPORTED_FILE_TYPE',
    note: 'password-protected xlsx (OLE2 EncryptedPackage)',
  });

  // — zip / xlsx —
  const xlsx = await validXlsxBytes(50);
  await add('truncated.xlsx', xlsx.subarray(0, Math.floor(xlsx.length * 0.6)), { expect: 'CORRUPTED_FILE', note: 'an xlsx cut at 60 %: no central directory' });
  const garbled = Buffer.from(xlsx);
  noise(600, 9).copy(garbled, 200); // inside the first entries' compressed data, central directory intact
  await add('garbled-entries.xlsx', garbled, { expect: 'CORRUPTED_FILE', note: 'central directory intact, compressed data overwritten' });
  await addZip(
    'document.docx',
    [
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'word/document.xml', data: '<w:document/>' },
    ],
    {
      expect: 'UNSUPPORTED_FILE_TYPE',
      note: 'a Word document',
    },
  );
  await writeZip(join(dir, 'inner-1.zip'), [{ name: 'data.csv', data: HEADER + ROW }]);
  await writeZip(join(dir, 'inner-2.zip'), [{ name: 'inner-1.zip', data: await readFile(join(dir, 'inner-1.zip')) }]);
  await addZip('nested.zip', [{ name: 'inner-2.zip', data: await readFile(join(dir, 'inner-2.zip')) }], {
    expect: 'UNSUPPORTED_FILE_TYPE',
    note: 'zip in zip in zip',
  });
  const bombRow = (r: number): string => `<row r="${r}"><c r="A${r}"><v>0</v></c><c r="B${r}"><v>0</v></c><c r="C${r}"><v>0</v></c></row>`;
  await addZip(
    'zip-bomb.xlsx',
    minimalXlsxEntries([
      {
        name: 'Sheet1',
        sheetData: function* () {
          const block = Array.from({ length: 1000 }, () => bombRow(2)).join('');
          for (let i = 0; i < 800; i++) yield block; // ~64 MB of XML, deflated to well under 1 MB
        },
      },
    ]),
    { expect: 'ZIP_BOMB_DETECTED', note: 'a highly compressible 64 MB sheet (compression ratio far above 200:1)' },
  );
  await addZip('declared-huge.xlsx', minimalXlsxEntries([{ name: 'Sheet1', sheetData: inlineRow(1, ['a']), declaredSize: 0xfffffff0 }]), {
    expect: 'ZIP_BOMB_DETECTED',
    note: 'central directory announces ~4 GB uncompressed',
  });
  await addZip(
    'lying-size.xlsx',
    minimalXlsxEntries([{ name: 'Sheet1', sheetData: inlineRow(1, ['姓名']) + inlineRow(2, ['张三']).repeat(2000), declaredSize: 1000 }]),
    { expect: 'ZIP_BOMB_DETECTED', note: 'an entry inflating to more than its declared size' },
  );
  await addZip(
    'many-entries.xlsx',
    [
      ...minimalXlsxEntries([{ name: 'Sheet1', sheetData: inlineRow(1, ['a']) }]),
      ...Array.from({ length: 12_000 }, (_v, i) => ({ name: `xl/media/pad${i}.bin`, data: 'x', store: true })),
    ],
    { expect: 'ZIP_BOMB_DETECTED', note: '12,000 zip entries' },
  );
  await addZip(
    'missing-shared-strings.xlsx',
    minimalXlsxEntries([{ name: 'Sheet1', sheetData: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' }], { sharedStrings: 'omit' }),
    {
      expect: 'CORRUPTED_FILE',
      note: 'cells reference sharedStrings.xml, which is absent',
    },
  );
  await addZip(
    'date1904.xlsx',
    minimalXlsxEntries(
      [
        {
          name: 'Mac',
          sheetData:
            inlineRow(1, ['姓名', '出生日期']) +
            '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2" s="1"><v>0</v></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>李四</t></is></c><c r="B3" s="2"><v>31546</v></c></row>',
        },
      ],
      { date1904: true, stylesXml: DATE_STYLES_XML },
    ),
    { expect: 'ok', format: 'xlsx', dataRows: 2, note: '1904 date system: serial 0 is 1904-01-01, 31546 is 1990-05-15' },
  );
  await addZip(
    'formulas.xlsx',
    minimalXlsxEntries(
      [
        {
          name: '公式',
          sheetData:
            inlineRow(1, ['a', 'b', 'sum', 'text', 'err', 'nocache', 'shared']) +
            '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c><c r="C2"><f>A2+B2</f><v>3</v></c><c r="D2" t="str"><f>"x"&amp;A2</f><v>x1</v></c>' +
            '<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F2"><f>SUM(A2:B2)</f></c><c r="G2"><f t="shared" ref="G2:G3" si="0">A2*2</f><v>2</v></c></row>' +
            '<row r="3"><c r="A3"><v>5</v></c><c r="G3"><f t="shared" si="0"/><v>10</v></c></row>',
        },
      ],
      {},
    ),
    { expect: 'ok', format: 'xlsx', dataRows: 2, note: 'formulas: cached values, string/error results, uncalculated formula, shared formula' },
  );
  await addZip(
    'columns-10000.xlsx',
    minimalXlsxEntries([{ name: 'Wide', sheetData: `<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c><c r="NTP1"><v>1</v></c></row>` }]),
    {
      expect: 'COLUMN_LIMIT_EXCEEDED',
      note: 'a header cell in column 10,000 (NTP)',
    },
  );
  await addZip('forged-column.xlsx', minimalXlsxEntries([{ name: 'S', sheetData: '<row r="1"><c r="ZZZZZZZZ1"><v>1</v></c></row>' }]), {
    expect: 'COLUMN_LIMIT_EXCEEDED',
    note: "a cell reference far beyond Excel's last column",
  });
  await addZip(
    'empty-sheets.xlsx',
    minimalXlsxEntries([
      { name: 'A', sheetData: '' },
      { name: 'B', sheetData: '<row r="1"/><row r="2"><c r="A2" s="0"/></row>' },
    ]),
    {
      expect: 'EMPTY_FILE',
      note: 'a workbook whose sheets hold no value',
    },
  );
  await addZip('header-only.xlsx', minimalXlsxEntries([{ name: 'S', sheetData: inlineRow(1, ['姓名', '手机号']) }]), {
    expect: 'ok',
    format: 'xlsx',
    dataRows: 0,
    note: 'a sheet with only its header row',
  });
  await addZip('huge-inline-cell.xlsx', minimalXlsxEntries([{ name: 'S', sheetData: inlineRow(1, ['备注']) + inlineRow(2, [randomCjk(1_200_000)]) }]), {
    expect: 'LINE_TOO_LONG',
    note: 'a 1.2 M-character cell',
  });
  await addZip(
    'prefixed-namespace.xlsx',
    minimalXlsxEntries([{ name: 'S', sheetData: '' }]).map((e) =>
      e.name === 'xl/worksheets/sheet1.xml'
        ? {
            ...e,
            data: '<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>姓名</x:t></x:is></x:c></x:row><x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>张三</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>',
          }
        : e,
    ),
    { expect: 'ok', format: 'xlsx', dataRows: 1, note: 'SpreadsheetML written with an x: namespace prefix (some .NET tools)' },
  );
  // — issue 10.5: ordinary dirty CSV, cleaned rather than rejected —
  await add('nul-in-two-cells.csv', Buffer.from(`${HEADER}张\u0000三,13812345678,1990-05-17,北京\n李四,139\u00001234,,\n`), {
    expect: 'ok',
    format: 'csv',
    dataRows: 2,
    note: 'a short CSV with NUL bytes inside two cells: removed and counted',
  });
  await add(
    'invalid-utf8-short.csv',
    Buffer.concat([
      Buffer.from(`${HEADER}张三,13812345678,1990-05-17,北京市\n`),
      Buffer.from([0xe7, 0x8e, 0x8b, 0xc0, 0xaf, 0x2c, 0x31, 0x0a]),
      Buffer.from('李四,139,,\n'),
    ]),
    { expect: 'ok', format: 'csv', dataRows: 3, note: 'a short UTF-8 CSV with an invalid sequence: U+FFFD, the row flagged' },
  );

  // — issue 10: bounded work for every input —
  const cellRef = (column: number, row: number): string => `${columnName(column)}${row}`;
  /** Rows of `columns` cells that all refer to shared string 0. */
  const sharedRefRows = (rows: number, columns: number) =>
    function* (): Generator<string> {
      yield inlineRow(
        1,
        Array.from({ length: columns }, (_v, c) => `列${c}`),
      );
      for (let r = 2; r <= rows + 1; r++) {
        let row = `<row r="${r}">`;
        for (let c = 0; c < columns; c++) row += `<c r="${cellRef(c, r)}" t="s"><v>0</v></c>`;
        yield row + '</row>';
      }
    };
  const longString = 'A'.repeat(999_000);
  await addZip('shared-string-bomb.xlsx', minimalXlsxEntries([{ name: 'S', sheetData: sharedRefRows(200, 1000) }], { sharedStrings: [longString] }), {
    expect: 'ZIP_BOMB_DETECTED',
    note: 'a ~0.5 MB xlsx: one 999,000-character shared string referenced by 200 × 1,000 cells (the string part inflates far beyond the ratio limit)',
  });
  // Letters at random: the string part compresses < 2:1, so only the row and batch limits can stop it.
  const incompressible = Array.from(noise(999_000, 5), (b) => String.fromCharCode(97 + (b % 26))).join('');
  await addZip('shared-string-wide.xlsx', minimalXlsxEntries([{ name: 'S', sheetData: sharedRefRows(5000, 100) }], { sharedStrings: [incompressible] }), {
    expect: 'LINE_TOO_LONG',
    note: 'the same string in 100 columns × 5,000 rows, incompressible: the per-row character limit ends it at the first row',
  });
  await addZip('shared-string-tall.xlsx', minimalXlsxEntries([{ name: 'S', sheetData: sharedRefRows(5000, 1) }], { sharedStrings: [incompressible] }), {
    expect: 'LINE_TOO_LONG',
    note: 'the same string in one column × 5,000 rows: each row is allowed, the bytes-per-batch limit ends it within ~35 rows',
  });
  await addZip(
    'many-small-parts.xlsx',
    minimalXlsxEntries(Array.from({ length: 2000 }, (_v, i) => ({ name: `S${i}`, sheetData: inlineRow(1, ['h']) + inlineRow(2, ['v']) }))),
    { expect: 'ZIP_BOMB_DETECTED', note: '2,000 small worksheet parts: more sheets than MAX_SHEETS' },
  );
  // Stored without compression: these repeat one pattern, and the ratio limit would refuse them before any scan.
  const stored = (entries: ZipEntrySpec[]): ZipEntrySpec[] => entries.map((e) => ({ ...e, store: true }));
  const nested = 200_000;
  await addZip(
    'deep-xml.xlsx',
    stored(
      minimalXlsxEntries([
        { name: 'S', sheetData: inlineRow(1, ['姓名']) + `<row r="2">${'<x>'.repeat(nested)}${'</x>'.repeat(nested)}</row>` + inlineRow(3, ['张三']) },
      ]),
    ),
    { expect: 'ok', format: 'xlsx', dataRows: 1, note: '200,000 nested elements inside a row: one pass, no recursion' },
  );
  await addZip(
    'unclosed-tags-workbook.xlsx',
    stored(
      minimalXlsxEntries([{ name: 'S', sheetData: inlineRow(1, ['姓名']) + inlineRow(2, ['张三']) }]).map((e) =>
        e.name === 'xl/workbook.xml' && typeof e.data === 'string'
          ? { ...e, data: e.data.replace('<sheets>', `<sheets>${'<sheet name="x" '.repeat(100_000)}`) }
          : e,
      ),
    ),
    { expect: 'ok', format: 'xlsx', dataRows: 1, note: '100,000 unclosed <sheet tags before the real one: skipped in one linear pass' },
  );
  await addZip(
    'unclosed-tags-sheet.xlsx',
    stored(minimalXlsxEntries([{ name: 'S', sheetData: inlineRow(1, ['姓名']) + `<row r="2">${'<c r="A2" '.repeat(100_000)}</row>` }])),
    { expect: 'CORRUPTED_FILE', note: '100,000 unclosed <c tags in a row' },
  );
  await addZip(
    'repeated-sheet-refs.xlsx',
    minimalXlsxEntries([
      { name: 'S', sheetData: inlineRow(1, ['姓名']) + Array.from({ length: 1000 }, (_v, i) => inlineRow(i + 2, [`用户${i}`])).join('') },
    ]).map((e) =>
      e.name === 'xl/workbook.xml' && typeof e.data === 'string'
        ? {
            ...e,
            data: e.data.replace(
              '</sheets>',
              `${Array.from({ length: 10_000 }, (_v, i) => `<sheet name="copy${i}" sheetId="${i + 2}" r:id="rId1"/>`).join('')}</sheets>`,
            ),
          }
        : e,
    ),
    { expect: 'ok', format: 'xlsx', dataRows: 1000, note: '10,000 <sheet> references to one worksheet: it is read once' },
  );
  return cases;
}
