/**
 * Data and page helpers shared by the browser tests (test/e2e/ui-*.test.ts): a small customer CSV
 * with known dirty rows, a CSV that fails in the worker, a PNG named .csv, readers for the upload
 * cards (needs installPageHelpers from ./browser.js) and parsers for downloaded result files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import type { Locator, Page } from 'playwright-core';
import { HEADER, generateRows } from '../../bench/generate-data.js';
import { onElement } from './browser.js';

/** A clean row whose cleaned values are known. */
export const KNOWN_CLEAN = { name: '测试甲', phone: '138 1234 5678', cleanPhone: '13812345678', date: '1990年1月2日', cleanDate: '1990-01-02' };

/**
 * Dirty rows that must end up in the exceptions, with the column that fails. One name is markup:
 * the UI must show it as text (the test checks that no element was created from it).
 */
export const KNOWN_DIRTY: { name: string; field: string }[] = [
  { name: '坏手机', field: '手机号' },
  { name: '坏日期', field: '出生日期' },
  { name: '<img src=x onerror="window.__xss=1">', field: '手机号' },
];

function csvLine(cells: readonly string[]): string {
  return `${cells.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(',')}\n`;
}

/** ~300 generated rows (about 5 % dirty) plus the known clean and dirty rows. */
export function writeCustomerCsv(path: string, generated = 300): void {
  let text = csvLine(HEADER);
  const extra = ['研发部', '工程师', 'known@example.com', '备注'];
  text += csvLine([KNOWN_CLEAN.name, KNOWN_CLEAN.phone, KNOWN_CLEAN.date, '江苏省南京市玄武区中山路1号', ...extra]);
  for (const row of generateRows(generated, 7)) text += csvLine(row);
  text += csvLine(['坏手机', '123', '1990-01-01', '北京市朝阳区建国路1号', ...extra]);
  text += csvLine(['坏日期', '13912345678', '1990-13-45', '上海市浦东新区世纪大道1号', ...extra]);
  text += csvLine(['<img src=x onerror="window.__xss=1">', '999', '1991-02-03', '浙江省杭州市西湖区文三路1号', ...extra]);
  writeFileSync(path, text);
}

/** A CSV that passes every upload check but whose last record opens a quote it never closes: the worker fails it. */
export function writeUnclosedQuoteCsv(path: string): void {
  let text = csvLine(HEADER);
  for (const row of generateRows(200, 11)) text += csvLine(row);
  text += '李四,"13912345678,1985-03-02,北京市朝阳区\n';
  writeFileSync(path, text);
}

/** A PNG (signature + noise) named .csv: the client check passes on the name, the server refuses the content. */
export function writePngNamedCsv(path: string): void {
  const noise = Buffer.alloc(2048);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 37 + 11) & 0xff;
  writeFileSync(path, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise]));
}

/** Digits only, so "12,975" (zh-CN grouping) compares with 12975. */
export function parseCount(text: string | undefined): number {
  return Number((text ?? '').replace(/[^\d.-]/g, ''));
}

export interface CardReading {
  /** From the card's class (`card-processing`…). */
  state: string;
  /** aria-valuenow, null while indeterminate or when the card has no bar. */
  percent: number | null;
  badge: string;
  valueText: string | null;
}

export function uploadCard(page: Page, fileName: string): Locator {
  return page.getByRole('article', { name: fileName, exact: true });
}

/** The card's state, bar and badge (browser side: web/src/test-support/inPage.ts `card`). */
export function readCard(card: Locator, timeoutMs?: number): Promise<CardReading> {
  return onElement<CardReading>(card, 'card', timeoutMs);
}

/** Polls the card (every 100 ms) until `done` holds; returns every reading seen on the way. */
export async function watchCard(card: Locator, done: (reading: CardReading) => boolean, timeoutMs: number): Promise<CardReading[]> {
  const readings: CardReading[] = [];
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    // The card may be missing for a moment (page reloading): that is not a reading.
    const reading = await readCard(card, 1000).catch((error: unknown) => {
      lastError = error;
      return null;
    });
    if (reading) {
      readings.push(reading);
      if (done(reading)) return readings;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `card did not reach the expected state within ${timeoutMs} ms; last readings: ${JSON.stringify(readings.slice(-3))}; last error: ${String(lastError)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Clicks a download link and returns the file's name and bytes (Playwright download event). */
export async function downloadVia(page: Page, link: Locator): Promise<{ fileName: string; content: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = await download.path();
  return { fileName: download.suggestedFilename(), content: readFileSync(path) };
}

/** Rows of a downloaded xlsx (first sheet) as arrays of cell text, header first. */
export async function xlsxRows(content: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(content as unknown as ExcelJS.Buffer);
  const sheet = workbook.worksheets[0];
  const rows: string[][] = [];
  sheet?.eachRow((row) => {
    const cells: string[] = [];
    for (let column = 1; column <= sheet.columnCount; column++) cells.push(row.getCell(column).text);
    rows.push(cells);
  });
  return rows;
}

/** Rows of a downloaded CSV (UTF-8 with BOM) as arrays of text, header first. */
export function csvRows(content: Buffer): { rows: string[][]; bom: boolean } {
  const text = content.toString('utf8');
  const bom = text.startsWith('\ufeff');
  const parsed = Papa.parse<string[]>(bom ? text.slice(1) : text, { skipEmptyLines: true });
  return { rows: parsed.data, bom };
}
