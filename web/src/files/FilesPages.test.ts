// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement, type ReactElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../i18n/I18nProvider.js';
import { ServicesProvider } from '../services-context.js';
import { createServices } from '../services.js';
import { TASK_ID, statistics } from '../test-support/fixtures.js';
import { MemoryStorage } from '../test-support/memoryStorage.js';
import type { FileSummary } from '../types.js';
import { FileDetailPage } from './FileDetailPage.js';
import { FilesPage } from './FilesPage.js';

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

const FILE_ID = 'file-1';
const HOSTILE = '<img src=x onerror=alert(1)>';

function summary(overrides: Partial<FileSummary> = {}): FileSummary {
  return {
    id: FILE_ID,
    jobId: TASK_ID,
    originalName: '客户.csv',
    size: 10240,
    fileType: 'csv',
    mimeType: 'text/csv',
    status: 'completed',
    uploadedAt: '2026-11-27T10:00:00.000Z',
    enqueuedAt: '2026-11-27T10:00:00.000Z',
    startedAt: '2026-11-27T10:00:01.000Z',
    completedAt: '2026-11-27T10:00:02.000Z',
    totalRows: 1000,
    cleanedRows: 950,
    exceptionRows: 50,
    processingTimeMs: 812,
    errorCode: null,
    errorMessage: null,
    ...overrides,
  };
}

/** A fetch that answers by path prefix. */
function fakeFetch(routes: Record<string, unknown>) {
  return vi.fn(async (input: RequestInfo | URL) => {
    const url = String(input);
    const match = Object.keys(routes).find((prefix) => url.startsWith(prefix));
    if (!match) return new Response(JSON.stringify({ statusCode: 404, errorCode: 'FILE_NOT_FOUND', message: '不存在' }), { status: 404 });
    return new Response(JSON.stringify(routes[match]), { status: 200 });
  });
}

function renderWith(fetchImpl: typeof fetch, element: ReactElement) {
  const services = createServices(new MemoryStorage(), { fetch: fetchImpl });
  return render(createElement(ServicesProvider, { services, children: createElement(I18nProvider, { initialLang: 'zh', children: element }) }));
}

describe('FilesPage', () => {
  it('lists files and sorts on the server by the clicked column', async () => {
    const fetchImpl = fakeFetch({ '/api/data-cleaning/files': { files: [summary({ originalName: HOSTILE })], total: 1, page: 1, pageSize: 20 } });
    const { container } = renderWith(fetchImpl as unknown as typeof fetch, createElement(FilesPage, { params: new URLSearchParams('status=completed') }));
    const link = await screen.findByRole('link', { name: HOSTILE });
    expect(link.getAttribute('href')).toBe(`#/files/${FILE_ID}`);
    expect(container.querySelector('img')).toBeNull();
    expect(String(fetchImpl.mock.calls[0][0])).toBe('/api/data-cleaning/files?page=1&pageSize=20&status=completed&sortBy=uploadedAt&order=desc');
    expect(screen.getByRole('columnheader', { name: /上传时间/ }).getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(screen.getByRole('button', { name: /大小/ }));
    expect(window.location.hash).toBe('#/files?status=completed&sortBy=size&order=asc');
  });
});

describe('FileDetailPage', () => {
  it('shows statistics, downloads and the exceptions with each failing cell marked', async () => {
    const fetchImpl = fakeFetch({
      [`/api/data-cleaning/files/${FILE_ID}`]: { file: summary(), statistics: statistics() },
      [`/api/data-cleaning/data/clean/${TASK_ID}`]: {
        jobId: TASK_ID,
        columns: ['姓名', '手机号'],
        data: [{ rowNumber: 2, sheetName: 'Sheet1', values: { 姓名: '张三', 手机号: '13812345678' } }],
        total: 950,
        page: 1,
        pageSize: 50,
      },
      [`/api/data-cleaning/data/exceptions/${TASK_ID}`]: {
        jobId: TASK_ID,
        columns: ['姓名', '手机号', '地址'],
        data: [
          {
            rowNumber: 7,
            sheetName: 'Sheet1',
            originalData: { 姓名: HOSTILE, 手机号: '123', 地址: '北京' },
            errors: [{ field: '手机号', value: '123', errorType: 'INVALID_PHONE', message: '手机号码位数不正确（3位）' }],
            reason: '手机号: 手机号码位数不正确（3位）',
          },
        ],
        total: 50,
        page: 1,
        pageSize: 50,
      },
    });
    const { container } = renderWith(fetchImpl as unknown as typeof fetch, createElement(FileDetailPage, { fileId: FILE_ID }));
    expect(await screen.findByRole('heading', { name: '客户.csv' })).toBeTruthy();
    expect(screen.getAllByRole('link', { name: /清洗结果|异常数据/ })).toHaveLength(4);
    expect(await screen.findByText('13812345678')).toBeTruthy();
    expect(screen.getByRole('tab', { name: '清洗后数据' }).getAttribute('aria-selected')).toBe('true');

    fireEvent.click(screen.getByRole('tab', { name: '异常数据' }));
    const table = await screen.findByRole('region', { name: '异常数据' });
    await waitFor(() => expect(within(table).getByText('手机号: 手机号码位数不正确（3位）')).toBeTruthy());
    const failing = table.querySelectorAll('td.cell-error');
    expect(failing).toHaveLength(1);
    expect(failing[0].getAttribute('title')).toBe('手机号码位数不正确（3位）');
    expect(failing[0].textContent).toContain('123');
    expect(failing[0].textContent).toContain('错误：手机号码位数不正确（3位）');
    expect(within(table).getByText('北京').className).not.toContain('cell-error');
    expect(within(table).getByText(HOSTILE)).toBeTruthy();
    expect(container.querySelector('img')).toBeNull();
  });

  it('moves between the data tabs with the arrow keys (wrapping), Home and End', async () => {
    const fetchImpl = fakeFetch({
      [`/api/data-cleaning/files/${FILE_ID}`]: { file: summary(), statistics: statistics() },
      [`/api/data-cleaning/data/`]: { jobId: TASK_ID, columns: [], data: [], total: 0, page: 1, pageSize: 50 },
    });
    renderWith(fetchImpl as unknown as typeof fetch, createElement(FileDetailPage, { fileId: FILE_ID }));
    const clean = await screen.findByRole('tab', { name: '清洗后数据' });
    const exceptions = screen.getByRole('tab', { name: '异常数据' });
    const tablist = screen.getByRole('tablist');
    const selected = () => screen.getAllByRole('tab').filter((tab) => tab.getAttribute('aria-selected') === 'true');
    const press = (key: string, expected: HTMLElement) => {
      fireEvent.keyDown(tablist, { key });
      expect([key, selected()]).toEqual([key, [expected]]);
      expect(document.activeElement).toBe(expected);
    };
    clean.focus();
    press('ArrowRight', exceptions);
    press('ArrowRight', clean);
    press('ArrowLeft', exceptions);
    press('Home', clean);
    press('End', exceptions);
    fireEvent.keyDown(tablist, { key: 'a' });
    expect(selected()).toEqual([exceptions]);
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe(exceptions.id);
  });

  it('says so when the file does not exist', async () => {
    renderWith(fakeFetch({}) as unknown as typeof fetch, createElement(FileDetailPage, { fileId: 'missing' }));
    expect(await screen.findByText('找不到这个文件。')).toBeTruthy();
  });
});
