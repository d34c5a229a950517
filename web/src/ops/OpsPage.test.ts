// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnnouncerProvider } from '../components/Announcer.js';
import { I18nProvider } from '../i18n/I18nProvider.js';
import { ServicesProvider } from '../services-context.js';
import { createServices } from '../services.js';
import { MemoryStorage } from '../test-support/memoryStorage.js';
import type { QueueStats } from '../types.js';
import { OpsPage } from './OpsPage.js';

afterEach(cleanup);

const FAILED_TASK = '3f6e0000-0000-4000-8000-00000000000f';

function stats(overrides: Partial<QueueStats> = {}): QueueStats {
  return {
    counts: { waiting: 1, active: 2, completed: 30, failed: 1, delayed: 0, paused: 0 },
    workers: 2,
    throughput: { jobsPerMinute: 1.5, rowsPerSecond: 1200 },
    errorRate: 0.02,
    recentFailures: [
      {
        taskId: FAILED_TASK,
        fileName: '坏文件.csv',
        status: 'failed',
        errorCode: 'CORRUPTED_FILE',
        errorMessage: '引号未闭合',
        failedAt: '2026-11-27T10:00:00.000Z',
      },
    ],
    timestamp: '2026-11-27T10:00:05.000Z',
    ...overrides,
  };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** Answers the statistics and retry calls from queues of responses (the last one repeats). */
function fakeApi(statsAnswers: Response[], retryAnswers: Response[] = []) {
  const calls: string[] = [];
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push(`${init?.method ?? 'GET'} ${url}`);
    const queue = url.endsWith('/retry') ? retryAnswers : statsAnswers;
    return (queue.length > 1 ? queue.shift() : queue[0])?.clone() ?? json(404, {});
  });
  return { fetchImpl, calls };
}

function renderOps(fetchImpl: typeof fetch) {
  const services = createServices(new MemoryStorage(), { fetch: fetchImpl });
  const page = createElement(AnnouncerProvider, { children: createElement(OpsPage) });
  return render(createElement(ServicesProvider, { services, children: createElement(I18nProvider, { initialLang: 'zh', children: page }) }));
}

describe('OpsPage', () => {
  it('retries a failed task, announces it and loads the statistics again', async () => {
    const { fetchImpl, calls } = fakeApi(
      [json(200, stats()), json(200, stats({ recentFailures: [] }))],
      [json(202, { taskId: FAILED_TASK, status: 'pending', message: 'ok' })],
    );
    renderOps(fetchImpl as unknown as typeof fetch);
    const failures = await screen.findByRole('table');
    expect(within(failures).getByText('引号未闭合')).toBeTruthy();
    fireEvent.click(within(failures).getByRole('button', { name: '重新处理 坏文件.csv' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('已重新排队：坏文件.csv'));
    await screen.findByText('最近没有失败的任务。');
    expect(calls).toEqual(['GET /api/queue/stats', `POST /api/data-cleaning/tasks/${FAILED_TASK}/retry`, 'GET /api/queue/stats']);
  });

  it('shows why a retry was refused next to the failure, and enables the button again', async () => {
    const { fetchImpl } = fakeApi([json(200, stats())], [json(409, { statusCode: 409, errorCode: 'INVALID_STATE', message: '状态不允许' })]);
    renderOps(fetchImpl as unknown as typeof fetch);
    const button = await screen.findByRole('button', { name: '重新处理 坏文件.csv' });
    fireEvent.click(button);
    expect(button.textContent).toBe('正在重试…');
    expect(await screen.findByText('任务当前的状态不允许这个操作。')).toBeTruthy();
    expect((button as HTMLButtonElement).disabled).toBe(false);
    expect(button.textContent).toBe('重试');
  });

  it('says the statistics are unavailable, with a retry that loads them', async () => {
    const { fetchImpl } = fakeApi([json(503, { statusCode: 503, errorCode: 'QUEUE_UNAVAILABLE', message: 'Redis 连接失败' }), json(200, stats())]);
    renderOps(fetchImpl as unknown as typeof fetch);
    expect((await screen.findByText(/无法获取队列状态。/)).className).toBe('error-friendly');
    fireEvent.click(screen.getByRole('button', { name: '重试' }));
    expect(await screen.findByRole('heading', { name: '队列状态' })).toBeTruthy();
    expect(screen.queryByText(/无法获取队列状态。/)).toBeNull();
  });
});
