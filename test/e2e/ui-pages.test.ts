/**
 * The files, file-detail and operations pages in a real browser (Debian's chromium +
 * playwright-core) against a real stack: `dcs api` + one `dcs worker` (built CLI), a private
 * redis-server, SQLite in a temp dir. Three files are uploaded over HTTP first (two complete, one
 * fails in the worker); every page is then checked against what the server says.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER, generateRows } from '../../bench/generate-data.js';
import {
  auditAccessibility,
  installPageHelpers,
  launchChromium,
  markedColumns,
  readDefinitions,
  saveScreenshot,
  tableCells,
  watchPage,
  type PageProblems,
} from '../support/browser.js';
import { RedisServer } from '../support/redis-server.js';
import { getJson, stackEnv, startApi, startWorker, upload, waitForTask, type ApiProcess, type ServiceProcess } from '../support/stack.js';
import { KNOWN_DIRTY, parseCount, writeCustomerCsv, writeUnclosedQuoteCsv } from '../support/ui-fixtures.js';

interface Uploaded {
  taskId: string;
  fileId: string;
}
interface FileDetailBody {
  file: { id: string; originalName: string; status: string };
  statistics: { totalRows: number; cleanedRows: number; exceptionRows: number } | null;
}
interface DataPage<Row> {
  columns: string[];
  data: Row[];
  total: number;
}
interface ExceptionRow {
  rowNumber: number;
  originalData: Record<string, string | null>;
  errors: { field: string }[];
}
interface QueueStatsBody {
  counts: Record<string, number>;
  workers: number;
  recentFailures: { fileName: string | null }[];
}

const NAMES = { customers: '客户名单.csv', second: '第二批.csv', failing: 'unclosed-quote.csv' };

describe('files, detail and operations pages in chromium against api + worker + redis + sqlite', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'dcs-ui-pages-'));
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  const uploaded: Record<keyof typeof NAMES, Uploaded> = {} as Record<keyof typeof NAMES, Uploaded>;
  const startedAt = Date.now();

  const rowsOf = (tableScope: string) => page.locator(`${tableScope} tbody tr`);
  const fileNamesShown = () => rowsOf('.files-table').locator('td.file-name').allTextContents();
  const waitForFileRows = (count: number) => page.waitForFunction(`document.querySelectorAll('.files-table tbody tr').length === ${count}`);

  beforeAll(async () => {
    mkdirSync(join(workDir, 'data'));
    const paths = { customers: join(workDir, NAMES.customers), second: join(workDir, NAMES.second), failing: join(workDir, NAMES.failing) };
    writeCustomerCsv(paths.customers);
    writeFileSync(paths.second, [HEADER, ...generateRows(120, 3)].map((row) => row.join(',')).join('\n'));
    writeUnclosedQuoteCsv(paths.failing);
    redis = await RedisServer.start();
    const env = stackEnv({ databaseUrl: `sqlite:${join(workDir, 'db.sqlite')}`, redisUrl: redis.url, dataDir: join(workDir, 'data') });
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    // One after the other, so the upload times (the list's default order) are distinct.
    for (const key of ['customers', 'second', 'failing'] as const) {
      const { status, body } = await upload<Uploaded>(api.baseUrl, paths[key]);
      if (status !== 202) throw new Error(`upload of ${key} answered ${status}`);
      uploaded[key] = body;
      await waitForTask(api.baseUrl, body.taskId, ['completed', 'failed'], 30_000);
    }
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await installPageHelpers(context);
    page = await context.newPage();
    problems = watchPage(page);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    rmSync(workDir, { recursive: true, force: true });
    process.stdout.write(`ui-pages e2e: ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
  }, 60_000);

  it('lists the uploaded files newest first, filters them by status and sorts by name', async () => {
    await page.goto(`${api.baseUrl}/#/files`);
    await rowsOf('.files-table').nth(2).waitFor();
    expect(await fileNamesShown()).toEqual([NAMES.failing, NAMES.second, NAMES.customers]);
    const statuses = await rowsOf('.files-table').locator('.badge').allTextContents();
    expect(statuses).toEqual(['失败', '已完成', '已完成']);
    await saveScreenshot(page, 'files-list');
    expect(await auditAccessibility(page)).toEqual([]);

    const filter = async (label: string) => {
      await page.getByLabel('状态', { exact: true }).selectOption({ label });
      await page.getByRole('button', { name: '查询' }).click();
    };
    await filter('失败');
    await page.waitForURL(/status=failed/);
    await waitForFileRows(1);
    expect(await fileNamesShown()).toEqual([NAMES.failing]);
    await filter('已完成');
    await page.waitForURL(/status=completed/);
    await waitForFileRows(2);
    expect(await fileNamesShown()).toEqual([NAMES.second, NAMES.customers]);
    await filter('已取消');
    await page.getByText('没有符合条件的文件。').waitFor();
    expect(await fileNamesShown()).toEqual([]);

    await page.getByRole('button', { name: '重置' }).click();
    await waitForFileRows(3);
    // Sorting is the server's (its collation decides where CJK names go): the page shows its order.
    const sortedAnswer = page.waitForResponse((r) => r.url().includes('sortBy=originalName') && r.status() === 200);
    await page.getByRole('button', { name: /^文件名/ }).click();
    const serverOrder = ((await (await sortedAnswer).json()) as { files: { originalName: string }[] }).files.map((file) => file.originalName);
    await page.locator('[aria-busy=false] > .table-scroll th[aria-sort=ascending]').waitFor();
    expect(serverOrder).not.toEqual([NAMES.failing, NAMES.second, NAMES.customers]);
    expect(await fileNamesShown()).toEqual(serverOrder);
  });

  it("shows a file's detail: the server's statistics, clean rows, and exceptions with the failing fields highlighted", async () => {
    const { taskId, fileId } = uploaded.customers;
    const detail = (await getJson<FileDetailBody>(`${api.baseUrl}/api/data-cleaning/files/${fileId}`)).body;
    const clean = (
      await getJson<DataPage<{ rowNumber: number; values: Record<string, string | null> }>>(
        `${api.baseUrl}/api/data-cleaning/data/clean/${taskId}?page=1&pageSize=50`,
      )
    ).body;
    const exceptions = (await getJson<DataPage<ExceptionRow>>(`${api.baseUrl}/api/data-cleaning/data/exceptions/${taskId}?page=1&pageSize=50`)).body;

    await page.goto(`${api.baseUrl}/#/files`);
    await page.getByRole('link', { name: NAMES.customers, exact: true }).click();
    await page.waitForURL(new RegExp(`#/files/${fileId}$`));
    await page.getByRole('heading', { level: 2, name: NAMES.customers }).waitFor();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('文件详情');

    const stats = await readDefinitions(page.locator('dl.stats-grid'));
    expect(parseCount(stats['总行数'])).toBe(detail.statistics!.totalRows);
    expect(parseCount(stats['清洗成功'])).toBe(detail.statistics!.cleanedRows);
    expect(parseCount(stats['异常行'])).toBe(detail.statistics!.exceptionRows);

    // Clean rows: the first page, exactly the server's values.
    const cleanTable = page.getByRole('tabpanel').locator('table');
    await cleanTable.locator('tbody tr').first().waitFor();
    expect(await cleanTable.locator('thead th').allTextContents()).toEqual(['行号', ...clean.columns]);
    expect(await tableCells(cleanTable)).toEqual(clean.data.map((row) => [String(row.rowNumber), ...clean.columns.map((column) => row.values[column] ?? '')]));
    await expect(page.getByText(`共 ${clean.total} 条`, { exact: false }).count()).resolves.toBe(1);
    await saveScreenshot(page, 'file-detail-clean');
    expect(await auditAccessibility(page)).toEqual([]);

    // Exceptions: every failing field of every row is marked, and only those.
    await page.getByRole('tab', { name: '异常数据' }).click();
    const exceptionTable = page.getByRole('tabpanel').locator('table');
    await exceptionTable
      .locator('tbody tr')
      .nth(exceptions.data.length - 1)
      .waitFor();
    const header = await exceptionTable.locator('thead th').allTextContents();
    expect(header).toEqual(['行号', '异常原因', ...exceptions.columns]);
    const marked = await markedColumns(exceptionTable);
    const failingColumns = (row: ExceptionRow) => exceptions.columns.filter((column) => row.errors.some((error) => error.field === column));
    expect(marked).toEqual(exceptions.data.map(failingColumns));
    // The known dirty rows are there with their failing column marked; the markup name is plain text.
    const shownCells = await tableCells(exceptionTable);
    for (const dirty of KNOWN_DIRTY) {
      const index = exceptions.data.findIndex((row) => row.originalData['姓名'] === dirty.name);
      expect(index, dirty.name).toBeGreaterThanOrEqual(0);
      expect(shownCells[index]).toContain(dirty.name);
      expect(marked[index]).toContain(dirty.field);
    }
    expect(await exceptionTable.locator('img').count()).toBe(0);
    expect(await page.evaluate<unknown>('window.__xss')).toBeUndefined();
    await saveScreenshot(page, 'file-detail-exceptions');
    expect(await auditAccessibility(page)).toEqual([]);
  });

  it("shows a failed file's reason on its detail page", async () => {
    await page.goto(`${api.baseUrl}/#/files/${uploaded.failing.fileId}`);
    await page.getByRole('heading', { level: 2, name: NAMES.failing }).waitFor();
    await expect(page.locator('.error-friendly').textContent()).resolves.toBe('文件已损坏，无法读取。请在 Excel 中打开并重新保存后再试。');
    await expect(page.locator('.error-server').textContent()).resolves.toContain('引号');
  });

  it('renders the queue counts, workers and recent failures the server reports', async () => {
    const statsResponse = page.waitForResponse((r) => r.url().endsWith('/api/queue/stats') && r.status() === 200);
    await page.goto(`${api.baseUrl}/#/ops`);
    const server = (await (await statsResponse).json()) as QueueStatsBody;
    await page.locator('dl.counts').waitFor();
    const shown = await readDefinitions(page.locator('dl.counts'));
    const labels: Record<string, string> = { waiting: '等待中', active: '处理中', completed: '已完成', failed: '失败', delayed: '延迟重试', paused: '已暂停' };
    for (const [key, label] of Object.entries(labels)) expect(parseCount(shown[label]), label).toBe(server.counts[key]);
    expect(server.counts.completed).toBe(2);
    expect(server.counts.failed).toBe(1);
    expect(parseCount(shown['活跃工作进程'])).toBe(server.workers);
    expect(server.workers).toBe(1);
    const failures = page.getByRole('region', { name: '最近失败的任务' });
    await expect(failures.locator('tbody td.file-name').allTextContents()).resolves.toEqual(server.recentFailures.map((f) => f.fileName));
    await expect(failures.getByRole('button', { name: `重新处理 ${NAMES.failing}` }).isEnabled()).resolves.toBe(true);
    await saveScreenshot(page, 'operations');
    expect(await auditAccessibility(page)).toEqual([]);
  });

  it('switches to English and back', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Operations');
    await expect(page.evaluate<string>('document.documentElement.lang')).resolves.toBe('en');
    await saveScreenshot(page, 'operations-en');
    expect(await auditAccessibility(page)).toEqual([]);
    await page.getByRole('button', { name: '中文' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('运行监控');
  });

  it('logged no console errors and no page errors', () => {
    expect(problems.unexpected()).toEqual([]);
  });
});
