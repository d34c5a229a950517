/**
 * Typed client for the REST contract in docs/API.md. fetch for JSON calls; XMLHttpRequest for the
 * upload because only XHR reports upload transfer progress.
 */
import type { AuthStore } from './auth.js';
import type { ErrorInfo } from './i18n/errors.js';
import { CLIENT_HEADER } from './types.js';
import type {
  ClientConfig,
  ErrorBody,
  FileDetail,
  FileList,
  FileListQuery,
  CleanRow,
  ExceptionRow,
  Page,
  PreviewResult,
  QueueStats,
  StatusSnapshot,
  TaskActionResult,
  UploadAccepted,
  UploadFields,
} from './types.js';

/** Error codes the client invents for failures that never reached the server's error format. */
export const NETWORK_ERROR = 'NETWORK_ERROR';
export const ABORTED = 'ABORTED';
const BAD_RESPONSE = 'BAD_RESPONSE';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server's own message, if it sent one (shown below the friendly sentence). */
  get serverMessage(): string | null {
    return this.status > 0 && this.message ? this.message : null;
  }
}

/** Turns anything thrown into an ApiError, so views deal with one shape. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DOMException && err.name === 'AbortError') return new ApiError(0, ABORTED, '');
  return new ApiError(0, NETWORK_ERROR, err instanceof Error ? err.message : String(err));
}

export type DownloadKind = 'clean' | 'exceptions';
export type DownloadFormat = 'xlsx' | 'csv';

export interface UploadOptions extends UploadFields {
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

/** The upload form's text fields (sent before the file, so a streaming server reads them first). */
function appendFields(form: FormData, fields: UploadFields): void {
  if (fields.columnTypes && Object.keys(fields.columnTypes).length > 0) form.append('columnTypes', JSON.stringify(fields.columnTypes));
  if (fields.encoding) form.append('encoding', fields.encoding);
  if (fields.delimiter) form.append('delimiter', fields.delimiter);
  if (fields.dedupe) form.append('dedupe', fields.dedupe);
}

export interface ApiClientDeps {
  auth: AuthStore;
  fetch?: typeof fetch;
  createXhr?: () => XMLHttpRequest;
  /** Prefix for every path; '' = same origin (the API serves the UI). */
  baseUrl?: string;
}

export class ApiClient {
  private readonly auth: AuthStore;
  private readonly fetchImpl: typeof fetch;
  private readonly createXhr: () => XMLHttpRequest;
  private readonly baseUrl: string;

  constructor(deps: ApiClientDeps) {
    this.auth = deps.auth;
    this.fetchImpl = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.createXhr = deps.createXhr ?? (() => new XMLHttpRequest());
    this.baseUrl = deps.baseUrl ?? '';
  }

  getConfig(signal?: AbortSignal): Promise<ClientConfig> {
    return this.json<ClientConfig>('GET', '/api/config', undefined, signal);
  }

  checkStatus(taskId: string, signal?: AbortSignal): Promise<StatusSnapshot> {
    return this.json<StatusSnapshot>('GET', `/api/data-cleaning/check-status/${encodeURIComponent(taskId)}`, undefined, signal);
  }

  cancelTask(taskId: string): Promise<TaskActionResult> {
    return this.json<TaskActionResult>('POST', `/api/data-cleaning/tasks/${encodeURIComponent(taskId)}/cancel`);
  }

  retryTask(taskId: string): Promise<TaskActionResult> {
    return this.json<TaskActionResult>('POST', `/api/data-cleaning/tasks/${encodeURIComponent(taskId)}/retry`);
  }

  listFiles(query: FileListQuery, signal?: AbortSignal): Promise<FileList> {
    return this.json<FileList>('GET', `/api/data-cleaning/files${queryString({ ...query })}`, undefined, signal);
  }

  getFile(fileId: string, signal?: AbortSignal): Promise<FileDetail> {
    return this.json<FileDetail>('GET', `/api/data-cleaning/files/${encodeURIComponent(fileId)}`, undefined, signal);
  }

  cleanRows(jobId: string, page: number, pageSize: number, signal?: AbortSignal): Promise<Page<CleanRow>> {
    return this.json<Page<CleanRow>>('GET', `/api/data-cleaning/data/clean/${encodeURIComponent(jobId)}${queryString({ page, pageSize })}`, undefined, signal);
  }

  exceptionRows(jobId: string, page: number, pageSize: number, signal?: AbortSignal): Promise<Page<ExceptionRow>> {
    return this.json<Page<ExceptionRow>>(
      'GET',
      `/api/data-cleaning/data/exceptions/${encodeURIComponent(jobId)}${queryString({ page, pageSize })}`,
      undefined,
      signal,
    );
  }

  queueStats(signal?: AbortSignal): Promise<QueueStats> {
    return this.json<QueueStats>('GET', '/api/queue/stats', undefined, signal);
  }

  /** Header preview; a CSV should be sent truncated (its first 256 KB). */
  preview(file: Blob, fileName: string, signal?: AbortSignal, fields: Pick<UploadFields, 'encoding' | 'delimiter'> = {}): Promise<PreviewResult> {
    const form = new FormData();
    appendFields(form, fields);
    form.append('file', file, fileName);
    return this.json<PreviewResult>('POST', '/api/data-cleaning/preview', form, signal);
  }

  /** Async upload with transfer progress. Resolves with the new task; rejects with an ApiError. */
  upload(file: File, options: UploadOptions = {}): Promise<UploadAccepted> {
    return new Promise<UploadAccepted>((resolve, reject) => {
      const xhr = this.createXhr();
      const form = new FormData();
      appendFields(form, options);
      // The file goes last so a streaming server has read the small fields before the bytes.
      form.append('file', file, file.name);

      const onAbort = () => xhr.abort();
      if (options.signal?.aborted) {
        reject(new ApiError(0, ABORTED, ''));
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => options.signal?.removeEventListener('abort', onAbort);

      xhr.open('POST', this.url('/api/data-cleaning/upload'));
      for (const [name, value] of Object.entries(this.auth.headers())) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader(CLIENT_HEADER, 'web');
      xhr.upload.addEventListener('progress', (event) => {
        options.onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
      });
      xhr.addEventListener('load', () => {
        finish();
        const body = parseJson(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300 && isObject(body) && typeof body.taskId === 'string') {
          resolve(body as unknown as UploadAccepted);
          return;
        }
        reject(this.errorFrom(xhr.status, body));
      });
      xhr.addEventListener('error', () => {
        finish();
        reject(new ApiError(0, NETWORK_ERROR, ''));
      });
      xhr.addEventListener('abort', () => {
        finish();
        reject(new ApiError(0, ABORTED, ''));
      });
      xhr.send(form);
    });
  }

  eventsUrl(taskId: string): string {
    return this.auth.withToken(this.url(`/api/data-cleaning/events/${encodeURIComponent(taskId)}`));
  }

  downloadUrl(kind: DownloadKind, jobId: string, format: DownloadFormat): string {
    return this.auth.withToken(this.url(`/api/data-cleaning/download/${kind}/${encodeURIComponent(jobId)}?format=${format}`));
  }

  adminUrl(): string {
    return this.auth.withToken(this.url('/admin/queues'));
  }

  private url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  private async json<T>(method: string, path: string, body?: FormData, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path), {
        method,
        body,
        signal,
        // The client header proves the request comes from this UI (the server's same-origin rule).
        headers: { Accept: 'application/json', ...(method === 'GET' ? {} : { [CLIENT_HEADER]: 'web' }), ...this.auth.headers() },
      });
    } catch (err) {
      throw toApiError(err);
    }
    const text = await response.text().catch(() => '');
    const parsed = parseJson(text);
    if (!response.ok) throw this.errorFrom(response.status, parsed);
    if (parsed === undefined) throw new ApiError(response.status, BAD_RESPONSE, '');
    return parsed as T;
  }

  private errorFrom(status: number, body: unknown): ApiError {
    if (status === 401) this.auth.requestToken();
    if (status === 0) return new ApiError(0, NETWORK_ERROR, '');
    if (isObject(body) && typeof body.errorCode === 'string') {
      const error = body as unknown as ErrorBody;
      return new ApiError(status, error.errorCode, typeof error.message === 'string' ? error.message : '', error.details);
    }
    return new ApiError(status, status === 401 ? 'UNAUTHORIZED' : status >= 500 ? 'INTERNAL_ERROR' : BAD_RESPONSE, '');
  }
}

function queryString(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The UI's error shape (code + server message) from anything an API call throws. */
export function errorInfoFrom(error: unknown): ErrorInfo {
  const apiError = toApiError(error);
  return { code: apiError.errorCode, message: apiError.serverMessage };
}

export function isAbortError(error: unknown): boolean {
  return toApiError(error).errorCode === ABORTED;
}
