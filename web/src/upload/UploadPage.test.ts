// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Resource } from '../hooks.js';
import { I18nProvider } from '../i18n/I18nProvider.js';
import { ServicesProvider } from '../services-context.js';
import { createServices } from '../services.js';
import { MemoryStorage } from '../test-support/memoryStorage.js';
import type { ClientConfig, PreviewResult } from '../types.js';
import { UploadPage } from './UploadPage.js';

beforeEach(() => localStorage.clear());
afterEach(cleanup);

const CONFIG: Resource<ClientConfig> = {
  data: {
    maxFileSize: 1024,
    acceptedExtensions: ['.csv', '.xlsx'],
    columnTypes: ['phone', 'date', 'address', 'text', 'number'],
    authRequired: false,
    version: '0',
  },
  error: null,
  loading: false,
  reload: () => {},
};

const PREVIEW: PreviewResult = {
  format: 'csv',
  sheets: [{ name: 'Sheet1', headers: ['姓名', '联系方式'], detectedTypes: ['text', 'text'], sampleRows: [['张三', '13812345678']] }],
};

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** The page with a fake preview endpoint; the board's uploads are recorded instead of sent. */
function renderPage(preview: () => Response = () => json(200, PREVIEW)) {
  const fetchImpl = vi.fn(async (_input: RequestInfo | URL) => preview());
  const services = createServices(new MemoryStorage(), { fetch: fetchImpl as unknown as typeof fetch });
  const addFiles = vi.spyOn(services.board, 'addFiles').mockImplementation(() => {});
  const addRejected = vi.spyOn(services.board, 'addRejected');
  render(
    createElement(ServicesProvider, {
      services,
      children: createElement(I18nProvider, { initialLang: 'zh', children: createElement(UploadPage, { config: CONFIG }) }),
    }),
  );
  const pick = (...files: File[]) => fireEvent.change(screen.getByLabelText('选择文件'), { target: { files } });
  return { addFiles, addRejected, fetchImpl, pick };
}

const csv = (name: string) => new File(['姓名,联系方式\n张三,13812345678\n'], name, { type: 'text/csv' });

describe('UploadPage', () => {
  it('uploads accepted files at once and refuses the others with a reason card', () => {
    const { addFiles, addRejected, pick } = renderPage();
    const good = csv('客户.csv');
    const bad = new File(['x'], '照片.png');
    pick(good, bad);
    expect(addFiles).toHaveBeenCalledWith([{ file: good }]);
    expect(addRejected).toHaveBeenCalledWith(bad, expect.objectContaining({ code: 'UNSUPPORTED_FILE_TYPE' }));
  });

  it('with review first: shows the detected columns, and uploads with the chosen column types', async () => {
    const { addFiles, fetchImpl, pick } = renderPage();
    fireEvent.click(screen.getByLabelText('上传前预览表头并调整列类型'));
    expect(localStorage.getItem('dcs.reviewColumns')).toBe('1');
    const file = csv('客户.csv');
    pick(file);
    const review = await screen.findByRole('region', { name: '预览：客户.csv' });
    expect(String(fetchImpl.mock.calls[0][0])).toBe('/api/data-cleaning/preview');
    const select = await within(review).findByLabelText('“联系方式”列的类型');
    expect(within(review).getByText('13812345678')).toBeTruthy();
    fireEvent.change(select, { target: { value: 'phone' } });
    fireEvent.click(within(review).getByRole('button', { name: '开始上传' }));
    expect(addFiles).toHaveBeenCalledWith([{ file, columnTypes: { 联系方式: 'phone' } }]);
    expect(screen.queryByRole('region', { name: '预览：客户.csv' })).toBeNull();
  });

  it('remembers review first; an untouched review uploads without column types, a discarded one not at all', async () => {
    localStorage.setItem('dcs.reviewColumns', '1');
    const { addFiles, pick } = renderPage();
    expect((screen.getByLabelText('上传前预览表头并调整列类型') as HTMLInputElement).checked).toBe(true);
    const [first, second] = [csv('一.csv'), csv('二.csv')];
    pick(first, second);
    const kept = await screen.findByRole('region', { name: '预览：一.csv' });
    await within(kept).findByLabelText('“姓名”列的类型');
    fireEvent.click(within(kept).getByRole('button', { name: '开始上传' }));
    fireEvent.click(within(screen.getByRole('region', { name: '预览：二.csv' })).getByRole('button', { name: '不上传' }));
    expect(addFiles.mock.calls).toEqual([[[{ file: first, columnTypes: undefined }]]]);
    expect(screen.queryAllByRole('region', { name: /^预览/ })).toEqual([]);
  });

  it('explains a failed preview, and the file can still be uploaded', async () => {
    localStorage.setItem('dcs.reviewColumns', '1');
    const { addFiles, pick } = renderPage(() => json(422, { statusCode: 422, errorCode: 'CORRUPTED_FILE', message: '引号未闭合' }));
    const file = csv('坏.csv');
    pick(file);
    const review = await screen.findByRole('region', { name: '预览：坏.csv' });
    await waitFor(() => expect(within(review).getByText(/无法预览此文件。/)).toBeTruthy());
    expect(within(review).getByText(/引号未闭合/)).toBeTruthy();
    fireEvent.click(within(review).getByRole('button', { name: '开始上传' }));
    expect(addFiles).toHaveBeenCalledWith([{ file, columnTypes: undefined }]);
  });
});
