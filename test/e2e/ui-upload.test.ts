/**
 * The upload page in a real browser (Debian's chromium + playwright-core) against a real stack:
 * `dcs api` + one `dcs worker` (built CLI), a private redis-server, SQLite in a temp dir.
 * Scenarios run in order on one page, as a user would: a CSV to completion with its downloads, two
 * files that cannot be processed, a large file cancelled while it is processed, a reload while a
 * large file is processed, the phone-width layout; then the console must be clean.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import iconv from 'iconv-lite';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCsv } from '../../bench/generate-data.js';
import {
  auditAccessibility,
  focusedElement,
  installPageHelpers,
  launchChromium,
  readDefinitions,
  saveScreenshot,
  watchPage,
  type PageProblems,
} from '../support/browser.js';
import { RedisServer } from '../support/redis-server.js';
import { getJson, stackEnv, startApi, startWorker, waitForTask, type ApiProcess, type ServiceProcess, type TaskView } from '../support/stack.js';
import {
  KNOWN_CLEAN,
  KNOWN_DIRTY,
  csvRows,
  downloadVia,
  parseCount,
  readCard,
  uploadCard,
  watchCard,
  writeCustomerCsv,
  writePngNamedCsv,
  writeUnclosedQuoteCsv,
  xlsxRows,
} from '../support/ui-fixtures.js';

/** Large enough to be caught while processing on a busy 2-core machine; the reload file is half as long. */
const BIG_ROWS = 300_000;
const RELOAD_ROWS = 150_000;
const UPLOAD_URL = /\/api\/data-cleaning\/upload$/;

interface Page1<Row> {
  columns: string[];
  data: Row[];
  total: number;
}

describe('upload page in chromium against api + worker + redis + sqlite', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'dcs-ui-upload-'));
  const files = {
    customers: join(workDir, '客户名单.csv'),
    png: join(workDir, 'photo.csv'),
    unclosed: join(workDir, 'unclosed-quote.csv'),
    polling: join(workDir, 'polling.csv'),
    big: join(workDir, 'big-cancel.csv'),
    bigReload: join(workDir, 'big-reload.csv'),
  };
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  const startedAt = Date.now();

  /** Picks files with the page's own file input (found by its label, as a user would). */
  async function chooseFile(path: string): Promise<TaskView | null> {
    const response = page.waitForResponse((r) => UPLOAD_URL.test(r.url()) && r.request().method() === 'POST');
    await page.getByLabel('选择文件').setInputFiles(path);
    const answer = await response;
    return answer.status() === 202 ? ((await answer.json()) as TaskView) : null;
  }

  const checkStatus = async (taskId: string) => (await getJson<TaskView>(`${api.baseUrl}/api/data-cleaning/check-status/${taskId}`)).body;

  beforeAll(async () => {
    mkdirSync(join(workDir, 'data'));
    writeCustomerCsv(files.customers);
    writeCustomerCsv(files.polling, 100);
    writePngNamedCsv(files.png);
    writeUnclosedQuoteCsv(files.unclosed);
    const bigFiles = Promise.all([writeCsv(files.big, BIG_ROWS), writeCsv(files.bigReload, RELOAD_ROWS, 99)]);
    redis = await RedisServer.start();
    const env = stackEnv({ databaseUrl: `sqlite:${join(workDir, 'db.sqlite')}`, redisUrl: redis.url, dataDir: join(workDir, 'data') });
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    const home = await fetch(api.baseUrl);
    const html = await home.text();
    if (!html.includes('<div id="root">')) throw new Error(`the API does not serve the web UI (run vite build; DCS_WEB_ROOT?): ${html.slice(0, 200)}`);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
    await installPageHelpers(context);
    page = await context.newPage();
    problems = watchPage(page);
    await page.goto(api.baseUrl);
    await bigFiles;
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    rmSync(workDir, { recursive: true, force: true });
    process.stdout.write(`ui-upload e2e: ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
  }, 60_000);

  it('a first-time visitor sees the upload page in Chinese with an empty task list', async () => {
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('上传文件');
    await expect(page.getByText('还没有任务。').count()).resolves.toBe(1);
    await expect(page.getByRole('navigation', { name: '主导航' }).getByRole('link').allTextContents()).resolves.toEqual(['上传', '文件记录', '运行监控']);
    // No API_TOKEN on this server: no token button to puzzle people.
    await expect(page.getByRole('button', { name: '设置令牌' }).count()).resolves.toBe(0);
    await saveScreenshot(page, 'upload-empty');
    expect(await auditAccessibility(page)).toEqual([]);
  });

  it('can be used from the keyboard: skip link first, the file picker reachable with a visible focus ring', async () => {
    const focused: string[] = [];
    for (let i = 0; i < 12 && !focused.includes('input[type=file]'); i++) {
      await page.keyboard.press('Tab');
      focused.push(await focusedElement(page));
    }
    expect(focused).toEqual(['a:跳到主要内容', 'a:数据清洗服务', 'a:上传', 'a:文件记录', 'a:运行监控', 'button:English', 'input[type=file]']);
    const ring = await page.evaluate<string>("getComputedStyle(document.querySelector('input[type=file] + label')).outlineStyle");
    expect(ring).not.toBe('none');
    await page.keyboard.press('Shift+Tab');
  });

  it("uploads a CSV: the bar reaches 100 %, the statistics are the server's, all four downloads hold the right rows", async () => {
    const accepted = await chooseFile(files.customers);
    expect(accepted).not.toBeNull();
    const taskId = accepted!.taskId;
    const card = uploadCard(page, '客户名单.csv');
    const readings = await watchCard(card, (r) => r.state === 'completed' && r.percent === 100, 30_000);
    expect(readings.at(-1)).toMatchObject({ state: 'completed', percent: 100, badge: '已完成' });

    const server = await checkStatus(taskId);
    expect(server.status).toBe('completed');
    const statistics = server.statistics!;
    expect(statistics.exceptionRows).toBeGreaterThanOrEqual(KNOWN_DIRTY.length);
    const shown = await readDefinitions(card.locator('dl.stats-grid'));
    expect(parseCount(shown['总行数'])).toBe(statistics.totalRows);
    expect(parseCount(shown['清洗成功'])).toBe(statistics.cleanedRows);
    expect(parseCount(shown['异常行'])).toBe(statistics.exceptionRows);
    expect(statistics.totalRows).toBe(301 + KNOWN_DIRTY.length);

    // The result files, fetched through the card's own links.
    const links = card.getByRole('navigation', { name: /下载/ }).getByRole('link');
    await expect(links.allTextContents()).resolves.toEqual(['清洗结果（XLSX）', '清洗结果（CSV）', '异常数据（XLSX）', '异常数据（CSV）']);
    const cleanXlsx = await downloadVia(page, links.nth(0));
    const cleanCsv = await downloadVia(page, links.nth(1));
    const exceptionsXlsx = await downloadVia(page, links.nth(2));
    const exceptionsCsv = await downloadVia(page, links.nth(3));
    expect([cleanXlsx, cleanCsv, exceptionsXlsx, exceptionsCsv].map((d) => d.fileName)).toEqual([
      `clean_data_${taskId}.xlsx`,
      `clean_data_${taskId}.csv`,
      `exception_data_${taskId}.xlsx`,
      `exception_data_${taskId}.csv`,
    ]);

    const cleanPage = (await getJson<Page1<{ values: Record<string, string> }>>(`${api.baseUrl}/api/data-cleaning/data/clean/${taskId}?pageSize=1`)).body;
    const exceptionPage = (await getJson<Page1<unknown>>(`${api.baseUrl}/api/data-cleaning/data/exceptions/${taskId}?pageSize=1`)).body;
    const cleanFromCsv = csvRows(cleanCsv.content);
    const exceptionsFromCsv = csvRows(exceptionsCsv.content);
    expect(cleanFromCsv.bom).toBe(true);
    expect(exceptionsFromCsv.bom).toBe(true);
    for (const [rows, columns, count] of [
      [await xlsxRows(cleanXlsx.content), cleanPage.columns, statistics.cleanedRows],
      [cleanFromCsv.rows, cleanPage.columns, statistics.cleanedRows],
      [await xlsxRows(exceptionsXlsx.content), ['行号', ...exceptionPage.columns, '异常原因'], statistics.exceptionRows],
      [exceptionsFromCsv.rows, ['行号', ...exceptionPage.columns, '异常原因'], statistics.exceptionRows],
    ] as const) {
      expect(rows[0]).toEqual(columns);
      expect(rows.length - 1).toBe(count);
    }
    // The known clean row comes out cleaned; the known dirty rows are exceptions, never clean.
    const cleanHeader = cleanFromCsv.rows[0];
    const known = cleanFromCsv.rows.find((row) => row[cleanHeader.indexOf('姓名')] === KNOWN_CLEAN.name);
    expect(known?.[cleanHeader.indexOf('手机号')]).toBe(KNOWN_CLEAN.cleanPhone);
    expect(known?.[cleanHeader.indexOf('出生日期')]).toBe(KNOWN_CLEAN.cleanDate);
    const cleanNames = new Set(cleanFromCsv.rows.map((row) => row[cleanHeader.indexOf('姓名')]));
    const exceptionHeader = exceptionsFromCsv.rows[0];
    const exceptionNames = new Set(exceptionsFromCsv.rows.map((row) => row[exceptionHeader.indexOf('姓名')]));
    for (const dirty of KNOWN_DIRTY) {
      expect(exceptionNames.has(dirty.name)).toBe(true);
      expect(cleanNames.has(dirty.name)).toBe(false);
    }
    expect(await auditAccessibility(page)).toEqual([]);
  });

  it('explains why a file was refused (a PNG named .csv) and why processing failed (a quote never closed)', async () => {
    problems.allowFailedResource(UPLOAD_URL, 415);
    expect(await chooseFile(files.png)).toBeNull();
    const refused = uploadCard(page, 'photo.csv');
    await watchCard(refused, (r) => r.state === 'rejected', 10_000);
    await expect(refused.locator('.error-friendly').textContent()).resolves.toBe('不支持这种文件。请上传 Excel（.xlsx、.xls）或 CSV 文件。');
    // The server's own words (they name what the file really is) are shown below.
    await expect(refused.locator('.error-server').textContent()).resolves.toContain('PNG');
    // Sending the same PNG again cannot help: no retry, only remove.
    await expect(refused.getByRole('button', { name: '重新处理 photo.csv' }).count()).resolves.toBe(0);
    await expect(refused.getByRole('button', { name: '从列表移除 photo.csv' }).count()).resolves.toBe(1);
    await expect(refused.getByRole('progressbar').count()).resolves.toBe(0);

    const accepted = await chooseFile(files.unclosed);
    const failed = uploadCard(page, 'unclosed-quote.csv');
    await watchCard(failed, (r) => r.state === 'failed', 30_000);
    const server = await checkStatus(accepted!.taskId);
    expect(server).toMatchObject({ status: 'failed', errorCode: 'CORRUPTED_FILE' });
    await expect(failed.locator('.error-friendly').textContent()).resolves.toBe('文件已损坏，无法读取。请在 Excel 中打开并重新保存后再试。');
    await expect(failed.locator('.error-server').textContent()).resolves.toContain(server.errorMessage!);
    // Retry stays possible (the server allows it) but is not the suggested action for a damaged file.
    const retry = failed.getByRole('button', { name: '重新处理 unclosed-quote.csv' });
    await expect(retry.isEnabled()).resolves.toBe(true);
    await expect(retry.getAttribute('class')).resolves.not.toContain('button-primary');
    expect(await auditAccessibility(page)).toEqual([]);
  });

  it('falls back to polling check-status when the event stream is refused, and still completes', async () => {
    const EVENTS = /\/api\/data-cleaning\/events\//;
    problems.allowFailedResource(EVENTS, 503);
    await page.route(EVENTS, (route) => route.fulfill({ status: 503, contentType: 'text/plain', body: 'no streams here' }));
    const polled = new Set<string>();
    const onRequest = (request: Request) => {
      if (request.url().includes('/check-status/')) polled.add(request.url());
    };
    page.on('request', onRequest);
    try {
      const accepted = await chooseFile(files.polling);
      const card = uploadCard(page, 'polling.csv');
      const readings = await watchCard(card, (r) => r.state === 'completed', 30_000);
      expect(readings.at(-1)).toMatchObject({ state: 'completed', percent: 100 });
      expect([...polled].some((url) => url.endsWith(`/check-status/${accepted!.taskId}`))).toBe(true);
      await expect(checkStatus(accepted!.taskId)).resolves.toMatchObject({ status: 'completed' });
    } finally {
      page.off('request', onRequest);
      await page.unroute(EVENTS);
    }
  });

  it('cancels a large file while the worker processes it: the card and the server both say cancelled', async () => {
    const accepted = await chooseFile(files.big);
    const taskId = accepted!.taskId;
    const card = uploadCard(page, 'big-cancel.csv');
    await watchCard(card, (r) => r.state === 'processing' && (r.percent ?? 0) >= 2, 60_000);
    // Several states at once: completed, rejected, failed and this one processing.
    await saveScreenshot(page, 'upload-states');
    expect(await auditAccessibility(page)).toEqual([]);

    await card.getByRole('button', { name: '取消处理 big-cancel.csv' }).click();
    const readings = await watchCard(card, (r) => r.state === 'cancelled', 15_000);
    expect(readings.at(-1)?.badge).toBe('已取消');
    const server = await waitForTask(api.baseUrl, taskId, ['cancelled', 'completed'], 15_000);
    expect(server.status).toBe('cancelled');
    await expect(card.getByRole('button', { name: '重新处理 big-cancel.csv' }).count()).resolves.toBe(1);
    // The task stays cancelled (a late progress event must not revive the card).
    await page.waitForTimeout(1000);
    await expect(readCard(card)).resolves.toMatchObject({ state: 'cancelled' });
    await expect(checkStatus(taskId)).resolves.toMatchObject({ status: 'cancelled' });
  }, 120_000);

  it('resumes the bar after a reload mid-processing, never moving backwards, and completes', async () => {
    const accepted = await chooseFile(files.bigReload);
    const taskId = accepted!.taskId;
    const before = await watchCard(uploadCard(page, 'big-reload.csv'), (r) => r.state === 'processing' && (r.percent ?? 0) >= 2, 60_000);
    const percentBefore = before.at(-1)!.percent!;

    await page.reload();
    const card = uploadCard(page, 'big-reload.csv');
    const after = await watchCard(card, (r) => r.state === 'completed', 90_000);
    const shown = after.filter((r) => r.percent !== null);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown[0].percent).toBeGreaterThanOrEqual(percentBefore);
    for (let i = 1; i < shown.length; i++) expect(shown[i].percent).toBeGreaterThanOrEqual(shown[i - 1].percent!);
    expect(after.at(-1)).toMatchObject({ state: 'completed', percent: 100 });
    // Some readings while still processing prove the bar was live after the reload, not just the end state.
    expect(after.some((r) => r.state === 'processing' && r.percent !== null && r.percent < 100)).toBe(true);

    const server = await checkStatus(taskId);
    expect(server.status).toBe('completed');
    expect(server.statistics!.totalRows).toBe(RELOAD_ROWS);
    const shownStats = await readDefinitions(card.locator('dl.stats-grid'));
    expect(parseCount(shownStats['总行数'])).toBe(RELOAD_ROWS);
    expect(parseCount(shownStats['异常行'])).toBe(server.statistics!.exceptionRows);
    // The earlier tasks came back from the browser's list of recent tasks, with their final states.
    await expect(readCard(uploadCard(page, '客户名单.csv'))).resolves.toMatchObject({ state: 'completed', percent: 100 });
    await expect(readCard(uploadCard(page, 'big-cancel.csv'))).resolves.toMatchObject({ state: 'cancelled' });
    await expect(readCard(uploadCard(page, 'unclosed-quote.csv'))).resolves.toMatchObject({ state: 'failed' });
    await saveScreenshot(page, 'upload-after-reload');
  }, 150_000);

  it('review step: a CSV previewed with a chosen encoding and delimiter, and uploaded with them and 去重', async () => {
    const file = join(workDir, '分号GBK.csv');
    writeFileSync(file, iconv.encode('姓名;手机号\n张三;13812345678\n张三;13812345678\n李四;13912345678\n', 'gb18030'));
    const toggle = page.getByLabel('上传前预览表头并调整列类型');
    await toggle.check();
    try {
      await page.getByLabel('选择文件').setInputFiles(file);
      const review = page.locator('section.review').filter({ hasText: '分号GBK.csv' });
      await review.getByLabel('文本编码').selectOption('gb18030');
      // (Chromium does not show a request body that holds a file: the fields are checked where
      // they end up, in the preview the page shows and in the record the server stored.)
      const previewed = page.waitForResponse((r) => r.url().includes('/api/data-cleaning/preview'));
      await review.getByLabel('分隔符').selectOption(';');
      expect((await previewed).status()).toBe(200);
      // Split at the semicolon and decoded as GB18030: the columns are the real headers.
      await expect(review.getByRole('rowheader', { name: '手机号' }).waitFor()).resolves.toBeUndefined();
      await review.getByLabel(/去重/).check();
      const uploaded = page.waitForResponse((r) => UPLOAD_URL.test(r.url()) && r.request().method() === 'POST');
      await review.getByRole('button', { name: '开始上传' }).click();
      const { taskId } = (await (await uploaded).json()) as TaskView;
      const card = uploadCard(page, '分号GBK.csv');
      const readings = await watchCard(card, (r) => r.state === 'completed', 30_000);
      expect(readings.at(-1)).toMatchObject({ state: 'completed' });
      const stored = new BetterSqlite3(join(workDir, 'db.sqlite'), { readonly: true });
      try {
        expect(stored.prepare('SELECT encoding, delimiter, dedupe FROM file_records WHERE job_id = ?').get(taskId)).toEqual({
          encoding: 'gb18030',
          delimiter: ';',
          dedupe: 'exact',
        });
      } finally {
        stored.close();
      }
      // 去重 took effect: the second 张三 row is an exception.
      expect((await checkStatus(taskId)).statistics).toMatchObject({ totalRows: 3, exceptionRows: 1 });
    } finally {
      await toggle.uncheck();
    }
  });

  it('fits a phone-width screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate('window.scrollTo(0, 0)');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await saveScreenshot(page, 'upload-phone');
    expect(await auditAccessibility(page)).toEqual([]);
  });

  it('logged no console errors and no page errors', async () => {
    expect(problems.unexpected()).toEqual([]);
  });
});
