/**
 * Writes the small committed parser fixtures under test/fixtures/parsing/ (run: npx tsx scripts/make-fixtures.ts).
 * Re-running rewrites them; xlsx/xls bytes may differ (timestamps inside) but the content is the same.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import XLSX from '@e965/xlsx';
import iconv from 'iconv-lite';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'parsing');

export const PEOPLE_HEADERS = ['姓名', '手机号', '出生日期', '地址', '备注'];
/** Realistic, partly dirty rows as users upload them (the cleaners decide what is valid). */
export const PEOPLE_ROWS: string[][] = [
  ['张三', '13812345678', '1990-05-17', '江苏省南京市玄武区中山路1号', '正常'],
  ['李四', '138 1234 5678', '1985/3/2', '北京朝阳区建国路88号', '手机有空格'],
  ['王五', '+86 139-1234-5678', '1992年12月1日', '广东深圳南山区科技园南区', '带国家码'],
  ['赵六', '12345', 'abc', '我家的地址是浙江省杭州市西湖区文三路', '手机和日期无效'],
  [' 钱七 ', '021-12345678', '20000229', '上海市浦东新区世纪大道100号', '座机; 姓名前后有空格'],
];

function csvField(value: string, delimiter: string): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvText(rows: string[][], delimiter: string, newline: string): string {
  return rows.map((r) => r.map((v) => csvField(v, delimiter)).join(delimiter)).join(newline) + newline;
}

function writeCsvFixtures(): void {
  const table = [PEOPLE_HEADERS, ...PEOPLE_ROWS];
  const dir = join(OUT, 'csv');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'utf8.csv'), csvText(table, ',', '\n'));
  writeFileSync(join(dir, 'utf8-bom.csv'), '\ufeff' + csvText(table, ',', '\r\n'));
  writeFileSync(join(dir, 'gbk.csv'), iconv.encode(csvText(table, ',', '\r\n'), 'gbk'));
  // Excel's "Unicode text" export: UTF-16LE with BOM, tab-separated.
  writeFileSync(join(dir, 'utf16le-bom.csv'), iconv.encode(csvText(table, '\t', '\r\n'), 'utf16le', { addBOM: true }));
  writeFileSync(join(dir, 'utf16be-bom.csv'), iconv.encode(csvText(table, ',', '\n'), 'utf16be', { addBOM: true }));
  writeFileSync(join(dir, 'semicolon.csv'), csvText(table, ';', '\n'));
  writeFileSync(join(dir, 'tab.csv'), csvText(table, '\t', '\n'));
  writeFileSync(join(dir, 'pipe.csv'), csvText(table, '|', '\n'));
  // RFC 4180 corner cases, blank lines and ragged rows; row numbers are documented in the unit test.
  writeFileSync(
    join(dir, 'quoted-multiline.csv'),
    [
      '姓名,手机号,出生日期,地址,备注', // row 1
      '张三,13812345678,1990-05-17,"江苏省南京市玄武区\n中山路1号","多行\r\n备注"', // row 2 (3 physical lines)
      '', // row 3: blank, skipped
      '"李""四""",13912345678,1985-03-02,"北京市,朝阳区",""', // row 4
      '王五,13712345678', // row 5: ragged (2 fields)
      '赵六,13612345678,1992-12-01,上海市,备注,多余字段', // row 6: ragged (6 fields)
      '   ', // row 7: whitespace only, skipped
      ',,,,', // row 8: empty fields only, skipped
      '孙七, 13512345678 ,2000-01-01,"  重庆市  ",', // row 9: spaces kept
    ].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'header-only.csv'), '姓名,手机号,出生日期\r\n');
  writeFileSync(join(dir, 'blank-lines-only.csv'), '\n\n   \r\n\t\n');
}

async function writeXlsxFixtures(): Promise<void> {
  const dir = join(OUT, 'xlsx');
  mkdirSync(dir, { recursive: true });
  const workbook = new ExcelJS.Workbook();
  const people = workbook.addWorksheet('客户');
  people.addRow(PEOPLE_HEADERS);
  people.addRow(['张三', 13812345678, new Date(Date.UTC(1990, 4, 17)), '江苏省南京市玄武区中山路1号', '手机号是数字']);
  people.getCell('B2').numFmt = '000-0000-0000';
  people.getCell('C2').numFmt = 'yyyy-mm-dd';
  people.addRow(['李四', '138 1234 5678', '1985/3/2', { richText: [{ text: '北京市', font: { bold: true } }, { text: '朝阳区建国路88号' }] }, '富文本地址']);
  people.addRow([
    '王五',
    { formula: '13900000000+12345678', result: 13912345678 },
    new Date(Date.UTC(1992, 11, 1, 8, 30)),
    '广东省深圳市南山区',
    '公式带缓存值; 日期带时间',
  ]);
  people.getCell('C4').numFmt = 'yyyy-mm-dd hh:mm';
  people.addRow(['合并单元格', null, new Date(Date.UTC(2000, 0, 1)), { text: '官网地址', hyperlink: 'https://example.com' }, { error: '#N/A' }]);
  people.getCell('C5').numFmt = 'yyyy"年"m"月"d"日"';
  people.mergeCells('A5:B5');
  people.addRow([]); // row 6: empty, skipped (row numbers stay the sheet's)
  people.addRow(['赵六', '12345', 'abc', null, true]); // row 7: sparse (D empty), boolean
  const orders = workbook.addWorksheet('订单');
  orders.addRow(['订单号', '金额', '下单日期']);
  orders.addRow(['A001', 12.5, new Date(Date.UTC(2024, 0, 15))]);
  orders.addRow(['A002', 100, new Date(Date.UTC(2024, 1, 29))]);
  orders.getColumn(3).numFmt = 'yyyy/m/d';
  workbook.addWorksheet('空表');
  await workbook.xlsx.writeFile(join(dir, 'workbook.xlsx'));

  // Streaming writer without shared strings: cells are inline strings (<c t="inlineStr"><is>…).
  const streaming = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: join(dir, 'inline-strings.xlsx'), useSharedStrings: false });
  const sheet = streaming.addWorksheet('Sheet1');
  sheet.addRow(PEOPLE_HEADERS).commit();
  for (const row of PEOPLE_ROWS) sheet.addRow(row).commit();
  sheet.commit();
  await streaming.commit();
}

function writeXlsFixtures(): void {
  const dir = join(OUT, 'xls');
  mkdirSync(dir, { recursive: true });
  // Dates as serials with a date format: SheetJS's own Date handling depends on the time zone.
  const serial = (y: number, m: number, d: number): XLSX.CellObject => ({
    t: 'n',
    v: (Date.UTC(y, m - 1, d) - Date.UTC(1899, 11, 30)) / 86_400_000,
    z: 'yyyy-mm-dd',
  });
  const people = XLSX.utils.aoa_to_sheet([
    PEOPLE_HEADERS,
    ['张三', 13812345678, serial(1990, 5, 17), '江苏省南京市玄武区中山路1号', '数字手机号'],
    ['李四', '138 1234 5678', '1985/3/2', '北京朝阳区建国路88号', '文本日期'],
    [],
    ['王五', '+86 139-1234-5678', serial(1992, 12, 1), '广东深圳南山区科技园南区', null],
  ]);
  const orders = XLSX.utils.aoa_to_sheet([
    ['订单号', '金额'],
    ['A001', 12.5],
  ]);
  const workbook = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(workbook, people, '客户');
  XLSX.utils.book_append_sheet(workbook, orders, '订单');
  writeFileSync(join(dir, 'workbook.xls'), XLSX.write(workbook, { type: 'buffer', bookType: 'xls' }) as Buffer);
}

await (async () => {
  writeCsvFixtures();
  await writeXlsxFixtures();
  writeXlsFixtures();
  console.log(`fixtures written to ${OUT}`);
})();
