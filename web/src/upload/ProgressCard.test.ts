// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../i18n/I18nProvider.js';
import type { Lang } from '../i18n/messages.js';
import { TASK_ID, completedSnapshot, snapshot } from '../test-support/fixtures.js';
import { MemoryStorage } from '../test-support/memoryStorage.js';
import type { CardModel } from '../progress/board.js';
import {
  initialUploadState,
  progressReducer,
  rejectedState,
  resumedState,
  toProgressView,
  type ProgressEvent,
  type ProgressState,
} from '../progress/machine.js';
import { ServicesProvider } from '../services-context.js';
import { createServices, type Services } from '../services.js';
import { ProgressCard } from './ProgressCard.js';

afterEach(cleanup);

const HOSTILE_NAME = '<img src=x onerror=alert(1)>.csv';

function card(progress: ProgressState, fileName = '客户.csv'): CardModel {
  return { id: 'card-1', fileName, size: 2048, progress, view: toProgressView(progress, false) };
}

function apply(state: ProgressState, ...events: ProgressEvent[]): ProgressState {
  return events.reduce(progressReducer, state);
}

const processing = (overrides: Parameters<typeof snapshot>[0] = {}) =>
  apply(resumedState(TASK_ID, 'file-1', 2048), { type: 'snapshot', epoch: 0, snapshot: snapshot(overrides) });

function renderCard(model: CardModel, options: { lang?: Lang; services?: Services } = {}) {
  const services = options.services ?? createServices(new MemoryStorage());
  const handlers = { onCancel: vi.fn(), onRetry: vi.fn(), onRemove: vi.fn() };
  const tree = (value: CardModel) =>
    createElement(ServicesProvider, {
      services,
      children: createElement(I18nProvider, { initialLang: options.lang ?? 'zh', children: createElement(ProgressCard, { card: value, ...handlers }) }),
    });
  const result = render(tree(model));
  return { ...result, handlers, services, update: (value: CardModel) => result.rerender(tree(value)) };
}

const fillOf = (bar: HTMLElement) => bar.querySelector<HTMLElement>('.bar-fill')!;

describe('ProgressCard', () => {
  it('bar width and aria values follow the state', () => {
    const { update } = renderCard(card(processing({ progress: 42, processedRows: 420_000, totalRows: 1_000_000, estimatedTimeRemaining: 6 })));
    const bar = screen.getByRole('progressbar', { name: '客户.csv 的进度' });
    expect(bar.getAttribute('aria-valuemin')).toBe('0');
    expect(bar.getAttribute('aria-valuemax')).toBe('100');
    expect(bar.getAttribute('aria-valuenow')).toBe('42');
    expect(bar.getAttribute('aria-valuetext')).toBe('清洗中，42%，420,000 / 约 1,000,000 行，剩余约 6 秒');
    expect(fillOf(bar).style.width).toBe('42%');
    expect(bar.className).toContain('bar-processing');

    update(card(processing({ progress: 87, processedRows: 870_000, totalRows: 1_000_000, currentPhase: 'saving' })));
    expect(bar.getAttribute('aria-valuenow')).toBe('87');
    expect(fillOf(bar).style.width).toBe('87%');
    expect(screen.getByText('保存中')).toBeTruthy();

    update(card(apply(processing({ progress: 87 }), { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() })));
    const done = screen.getByRole('progressbar');
    expect(done.getAttribute('aria-valuenow')).toBe('100');
    expect(fillOf(done).style.width).toBe('100%');
    expect(done.className).toContain('bar-completed');
    expect(screen.getByText('已完成')).toBeTruthy();
  });

  it('a queued task is indeterminate: no aria-valuenow, but a text value', () => {
    const pending = apply(initialUploadState(10), { type: 'uploadStarted', total: 10 }, { type: 'uploadAccepted', taskId: TASK_ID, fileId: null });
    renderCard(card(pending));
    const bar = screen.getByRole('progressbar');
    expect(bar.hasAttribute('aria-valuenow')).toBe(false);
    expect(bar.getAttribute('aria-valuetext')).toBe('排队中');
  });

  it('renders a hostile file name as text, never as HTML', () => {
    const { container } = renderCard(card(processing({ progress: 5 }), HOSTILE_NAME));
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByRole('heading', { level: 3 }).textContent).toBe(HOSTILE_NAME);
    expect(screen.getByRole('progressbar').getAttribute('aria-label')).toBe(`${HOSTILE_NAME} 的进度`);
    expect(screen.getByRole('button', { name: `取消处理 ${HOSTILE_NAME}` })).toBeTruthy();
  });

  it('renders a hostile server message as text', () => {
    const failed = processing({ status: 'failed', errorCode: 'CORRUPTED_FILE', errorMessage: '<script>alert(1)</script>坏了' });
    const { container } = renderCard(card(failed));
    expect(container.querySelector('script')).toBeNull();
    expect(screen.getByText('服务器信息：<script>alert(1)</script>坏了')).toBeTruthy();
  });

  it('failure: plain-words reason, the server message, and a retry button', () => {
    const failed = processing({ status: 'failed', progress: 30, errorCode: 'CORRUPTED_FILE', errorMessage: '文件已损坏：无法解压' });
    const { handlers } = renderCard(card(failed));
    expect(screen.getByText('文件已损坏，无法读取。请在 Excel 中打开并重新保存后再试。')).toBeTruthy();
    expect(screen.getByText('服务器信息：文件已损坏：无法解压')).toBeTruthy();
    expect(screen.getByText('失败')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /取消处理/ })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: '重新处理 客户.csv' }));
    expect(handlers.onRetry).toHaveBeenCalledWith('card-1');
  });

  it('processing offers cancel; completed shows statistics and four download links with the token', () => {
    const services = createServices(new MemoryStorage());
    services.auth.setToken('s3cr&t');
    const { handlers, update } = renderCard(card(processing({ progress: 10 })), { services });
    fireEvent.click(screen.getByRole('button', { name: '取消处理 客户.csv' }));
    expect(handlers.onCancel).toHaveBeenCalledWith('card-1');

    update(card(apply(processing({ progress: 10 }), { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() })));
    const stats = screen.getByRole('region', { name: '处理结果' });
    expect(within(stats).getByText('950')).toBeTruthy();
    expect(within(stats).getByText('手机/电话号码无效')).toBeTruthy();
    const links = within(screen.getByRole('navigation', { name: '下载: 客户.csv' })).getAllByRole('link');
    expect(links.map((link) => link.getAttribute('href'))).toEqual([
      `/api/data-cleaning/download/clean/${TASK_ID}?format=xlsx&token=s3cr%26t`,
      `/api/data-cleaning/download/clean/${TASK_ID}?format=csv&token=s3cr%26t`,
      `/api/data-cleaning/download/exceptions/${TASK_ID}?format=xlsx&token=s3cr%26t`,
      `/api/data-cleaning/download/exceptions/${TASK_ID}?format=csv&token=s3cr%26t`,
    ]);
    fireEvent.click(screen.getByRole('button', { name: '从列表移除 客户.csv' }));
    expect(handlers.onRemove).toHaveBeenCalledWith('card-1');
  });

  it('a file refused before upload has no bar, only the reason', () => {
    const rejected = rejectedState(0, { code: 'EMPTY_FILE', message: null });
    renderCard({ id: 'card-1', fileName: 'empty.csv', size: 0, progress: rejected, view: toProgressView(rejected, false) });
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByText('上传失败')).toBeTruthy();
    expect(screen.getByText('文件是空的，或者只有表头没有数据行。')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /重新处理/ })).toBeNull();
  });

  it('speaks English when switched', () => {
    renderCard(card(processing({ progress: 42, processedRows: 42, totalRows: 100, totalIsEstimate: false })), { lang: 'en' });
    expect(screen.getByRole('progressbar', { name: 'Progress of 客户.csv' }).getAttribute('aria-valuetext')).toBe('Cleaning, 42%, 42 of 100 rows');
    expect(screen.getByRole('button', { name: 'Cancel processing of 客户.csv' })).toBeTruthy();
  });
});
