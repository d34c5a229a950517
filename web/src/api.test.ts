import { describe, expect, it, vi } from 'vitest';
import { ABORTED, ApiClient, ApiError, NETWORK_ERROR, errorInfoFrom } from './api.js';
import { AuthStore } from './auth.js';
import { MemoryStorage } from './test-support/memoryStorage.js';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function client(fetchImpl: typeof fetch, token: string | null = null) {
  const storage = new MemoryStorage();
  const auth = new AuthStore(storage);
  if (token) auth.setToken(token);
  return { api: new ApiClient({ auth, fetch: fetchImpl }), auth, storage };
}

class FakeXhr {
  static last: FakeXhr;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  responseText = '';
  aborted = false;
  private readonly listeners = new Map<string, (() => void)[]>();
  private readonly uploadListeners: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void)[] = [];
  readonly upload = {
    addEventListener: (_type: string, listener: (event: { loaded: number; total: number; lengthComputable: boolean }) => void) =>
      this.uploadListeners.push(listener),
  };
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  addEventListener(type: string, listener: () => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.fire('abort');
  }
  progress(loaded: number, total: number) {
    for (const listener of this.uploadListeners) listener({ loaded, total, lengthComputable: true });
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.fire('load');
  }
  fire(type: string) {
    for (const listener of this.listeners.get(type) ?? []) listener();
  }
}

describe('ApiClient', () => {
  it('sends the bearer token and parses JSON', async () => {
    const fetchImpl = vi.fn(async () =>
      jsonResponse(200, { maxFileSize: 10, acceptedExtensions: ['.csv'], columnTypes: [], authRequired: true, version: '0.1.0' }),
    );
    const { api } = client(fetchImpl as unknown as typeof fetch, 'abc');
    const config = await api.getConfig();
    expect(config.maxFileSize).toBe(10);
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/config');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer abc');
  });

  it('marks state-changing requests with the client header (the server refuses cross-site ones without it)', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, { taskId: 't', status: 'cancelled', message: '' }));
    const { api } = client(fetchImpl as unknown as typeof fetch);
    await api.cancelTask('t');
    await api.getFile('f').catch(() => undefined);
    const [[, post], [, get]] = fetchImpl.mock.calls as unknown as [string, RequestInit][];
    expect((post.headers as Record<string, string>)['X-DCS-Client']).toBe('web');
    expect((get.headers as Record<string, string>)['X-DCS-Client']).toBeUndefined();
  });

  it('sends a CSV preview with its encoding and delimiter, fields before the file', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, { format: 'csv', sheets: [] }));
    const { api } = client(fetchImpl as unknown as typeof fetch);
    await api.preview(new Blob(['a;b\n']), 'a.csv', undefined, { encoding: 'gb18030', delimiter: ';' });
    const form = (fetchImpl.mock.calls[0] as unknown as [string, RequestInit])[1].body as FormData;
    expect([...form.keys()]).toEqual(['encoding', 'delimiter', 'file']);
    expect(form.get('delimiter')).toBe(';');
  });

  it('builds list queries without empty parameters', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, { files: [], total: 0, page: 2, pageSize: 20 }));
    const { api } = client(fetchImpl as unknown as typeof fetch);
    await api.listFiles({ page: 2, pageSize: 20, status: 'failed', startDate: undefined, sortBy: 'size', order: 'asc' });
    expect((fetchImpl.mock.calls[0] as unknown as [string])[0]).toBe('/api/data-cleaning/files?page=2&pageSize=20&status=failed&sortBy=size&order=asc');
  });

  it('turns the common error body into an ApiError; a 401 asks for a token', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(401, { statusCode: 401, errorCode: 'UNAUTHORIZED', message: '需要令牌', timestamp: 'x' }));
    const { api, auth } = client(fetchImpl as unknown as typeof fetch);
    const error = await api.checkStatus('id').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, errorCode: 'UNAUTHORIZED', message: '需要令牌' });
    expect(auth.getSnapshot().promptVisible).toBe(true);
    auth.setToken('new');
    expect(auth.getSnapshot()).toMatchObject({ promptVisible: false, token: 'new', revision: 1 });
  });

  it('maps network failures and non-JSON errors to client codes', async () => {
    const down = client((async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch).api;
    expect(errorInfoFrom(await down.queueStats().catch((caught: unknown) => caught))).toEqual({ code: NETWORK_ERROR, message: null });
    const proxy = client((async () => new Response('<html>Bad gateway</html>', { status: 502 })) as unknown as typeof fetch).api;
    expect(await proxy.queueStats().catch((caught: unknown) => caught)).toMatchObject({ status: 502, errorCode: 'INTERNAL_ERROR' });
  });

  it('puts the token in EventSource and download URLs, encoded', () => {
    const { api, auth } = client(vi.fn() as unknown as typeof fetch);
    expect(api.eventsUrl('t 1')).toBe('/api/data-cleaning/events/t%201');
    auth.setToken('a&b=c');
    expect(api.eventsUrl('t1')).toBe('/api/data-cleaning/events/t1?token=a%26b%3Dc');
    expect(api.downloadUrl('exceptions', 't1', 'csv')).toBe('/api/data-cleaning/download/exceptions/t1?format=csv&token=a%26b%3Dc');
  });

  it('uploads with XHR: progress, column types, token, and the accepted task', async () => {
    const auth = new AuthStore(new MemoryStorage());
    auth.setToken('tok');
    const api = new ApiClient({ auth, fetch: vi.fn() as unknown as typeof fetch, createXhr: () => new FakeXhr() as unknown as XMLHttpRequest });
    const progress: number[] = [];
    const promise = api.upload(new File(['a,b\n'], '客户.csv'), { columnTypes: { 电话: 'phone' }, onProgress: (loaded) => progress.push(loaded) });
    const xhr = FakeXhr.last;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/data-cleaning/upload');
    expect(xhr.headers.Authorization).toBe('Bearer tok');
    const form = xhr.body as FormData;
    expect(form.get('columnTypes')).toBe('{"电话":"phone"}');
    expect(xhr.headers['X-DCS-Client']).toBe('web');
    expect((form.get('file') as File).name).toBe('客户.csv');
    xhr.progress(2, 4);
    xhr.respond(202, { taskId: 't', jobId: 't', fileId: 'f', status: 'pending', message: '文件上传成功，开始处理' });
    await expect(promise).resolves.toMatchObject({ taskId: 't', fileId: 'f' });
    expect(progress).toEqual([2]);
  });

  it('a refused or aborted upload rejects with the reason', async () => {
    const api = new ApiClient({
      auth: new AuthStore(null),
      fetch: vi.fn() as unknown as typeof fetch,
      createXhr: () => new FakeXhr() as unknown as XMLHttpRequest,
    });
    const refused = api.upload(new File(['x'], 'x.pdf'));
    FakeXhr.last.respond(415, { statusCode: 415, errorCode: 'UNSUPPORTED_FILE_TYPE', message: '不支持的文件类型' });
    await expect(refused).rejects.toMatchObject({ status: 415, errorCode: 'UNSUPPORTED_FILE_TYPE' });
    const controller = new AbortController();
    const aborted = api.upload(new File(['x'], 'x.csv'), { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ errorCode: ABORTED });
    expect(FakeXhr.last.aborted).toBe(true);
  });
});
