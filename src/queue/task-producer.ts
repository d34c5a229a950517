import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { isColumnType } from '../cleaning/columns.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../logging.js';
import { detectFormat } from '../parsing/index.js';
import type { Database, FileRecord, FileStore, SavedFile } from '../storage/index.js';
import type { QueueManager } from './queue-manager.js';
import type { ColumnType, FileFormat } from '../domain/index.js';

const MIME_TYPES: Record<FileFormat, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
};

/** What an uploader may choose besides the file (stored on the file record, read by the worker). */
export interface UploadOptions {
  columnTypes?: Record<string, ColumnType>;
  /** CSV text encoding (a WHATWG label such as gb18030); absent: detected. */
  encoding?: string;
  /** CSV field delimiter (one character); absent: detected. */
  delimiter?: string;
  /** `exact`: a row identical to an earlier one after cleaning is an exception; absent: off. */
  dedupe?: 'exact';
}

/** The upload form's text fields as received (multipart values are strings). */
export interface UploadFields {
  columnTypes?: string;
  encoding?: string;
  delimiter?: string;
  dedupe?: string;
}

const DELIMITER_NAMES: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|' };

/**
 * Checks the upload form's fields (INVALID_COLUMN_TYPES / INVALID_REQUEST naming the field):
 * `encoding` must be a text encoding this runtime decodes; `delimiter` one character (or
 * tab/comma/semicolon/pipe) that is not a quote or a line break; `dedupe` `exact` or empty.
 */
export function parseUploadFields(fields: UploadFields): UploadOptions {
  const options: UploadOptions = { columnTypes: parseColumnTypes(fields.columnTypes) };
  const encoding = fields.encoding?.trim();
  if (encoding) {
    try {
      options.encoding = new TextDecoder(encoding).encoding;
    } catch {
      throw new AppError('INVALID_REQUEST', `encoding 不是支持的文本编码：${encoding.slice(0, 40)}（例如 utf-8、gb18030、big5）`, { field: 'encoding' });
    }
  }
  const rawDelimiter = fields.delimiter;
  if (rawDelimiter !== undefined && rawDelimiter !== '') {
    const delimiter = DELIMITER_NAMES[rawDelimiter.trim().toLowerCase()] ?? rawDelimiter;
    if ([...delimiter].length !== 1 || /["\r\n]/.test(delimiter)) {
      throw new AppError('INVALID_REQUEST', `delimiter 必须是一个字符（例如 , ; | 或 tab），且不能是引号或换行：${JSON.stringify(rawDelimiter.slice(0, 10))}`, {
        field: 'delimiter',
      });
    }
    options.delimiter = delimiter;
  }
  const dedupe = fields.dedupe?.trim();
  if (dedupe) {
    if (dedupe !== 'exact') throw new AppError('INVALID_REQUEST', `dedupe 只能是 exact（或不填）：${dedupe.slice(0, 20)}`, { field: 'dedupe' });
    options.dedupe = 'exact';
  }
  return options;
}

/** How long an API request waits for a queue operation before answering QUEUE_UNAVAILABLE. */
const QUEUE_CALL_TIMEOUT_MS = 2000;

function queueUnavailable(cause?: unknown): AppError {
  return new AppError('QUEUE_UNAVAILABLE', '任务队列暂不可用，请稍后重试', undefined, cause === undefined ? undefined : { cause });
}

/**
 * Runs one queue operation on behalf of an API request and fails fast with QUEUE_UNAVAILABLE when
 * Redis is not connected or does not answer in time. Needed because BullMQ holds every command
 * until its first connection is ready (an API started while Redis is down would otherwise hang
 * each request until Redis appears), and a Redis that stops answering without closing the
 * connection would hang them as well.
 */
export async function callQueue<T>(queue: QueueManager, work: () => Promise<T>, timeoutMs = QUEUE_CALL_TIMEOUT_MS): Promise<T> {
  if (queue.connection.status !== 'ready') throw queueUnavailable();
  const pending = work();
  // If the deadline wins, a late failure of the operation must not become an unhandled rejection.
  pending.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(queueUnavailable()), timeoutMs);
  });
  try {
    return await Promise.race([pending, deadline]);
  } catch (err) {
    throw isAppError(err) ? err : queueUnavailable(err);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses the `columnTypes` form field: a JSON object of header → column type. */
export function parseColumnTypes(raw: unknown): Record<string, ColumnType> | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new AppError('INVALID_COLUMN_TYPES', 'columnTypes 必须是 JSON 对象，例如 {"手机号":"phone"}');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('INVALID_COLUMN_TYPES', 'columnTypes 必须是 JSON 对象，例如 {"手机号":"phone"}');
  }
  const out: Record<string, ColumnType> = {};
  for (const [header, type] of Object.entries(value)) {
    if (!isColumnType(type)) {
      throw new AppError('INVALID_COLUMN_TYPES', `列“${header}”的类型无效：${String(type)}（可选 phone、date、address、text、number）`, { header, type });
    }
    out[header] = type;
  }
  return out;
}

/** A display name safe to store and show: no path, no control characters, bounded length. */
function displayName(filename: string): string {
  const name = basename(filename.replace(/\\/g, '/'))
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return (name || 'upload').slice(0, 255);
}

/**
 * The upload path (SPEC R1): stores the file under a generated key, checks it by content, creates
 * the `pending` file record and enqueues the task (jobId = taskId). The record is written before
 * the enqueue: if Redis is unreachable the upload is still kept and the RecoveryManager enqueues it
 * as soon as Redis is back — an accepted upload is never lost. Anything invalid is rejected with a
 * clear code and leaves no file behind.
 */
export class TaskProducer {
  constructor(private readonly deps: { db: Database; fileStore: FileStore; queue?: QueueManager; logger: Logger; maxFileSize: () => number }) {}

  /** Streams an upload into the file store (size-limited); the caller then creates or discards it. */
  async save(stream: Readable): Promise<SavedFile> {
    return this.deps.fileStore.save(stream, { maxBytes: this.deps.maxFileSize() });
  }

  async discard(saved: SavedFile): Promise<void> {
    await saved.release().catch(() => undefined);
    await this.deps.fileStore.remove(saved.key).catch(() => undefined);
  }

  /**
   * Checks a saved upload by content and creates its `pending` record (not yet enqueued).
   * On any rejection the stored file is removed.
   */
  async create(saved: SavedFile, filename: string, options: UploadOptions = {}): Promise<FileRecord> {
    try {
      if (saved.size === 0) throw new AppError('EMPTY_FILE', '文件为空');
      const format = await detectFormat(saved.path);
      return await this.deps.db.createFileRecord({
        id: randomUUID(),
        jobId: randomUUID(),
        originalName: displayName(filename),
        size: saved.size,
        fileType: format,
        mimeType: MIME_TYPES[format],
        storageKey: saved.key,
        columnTypes: options.columnTypes ?? null,
        // Encoding and delimiter are CSV settings: a workbook has neither.
        encoding: format === 'csv' ? (options.encoding ?? null) : null,
        delimiter: format === 'csv' ? (options.delimiter ?? null) : null,
        dedupe: options.dedupe ?? null,
      });
    } catch (err) {
      await this.discard(saved);
      throw err;
    } finally {
      // The local copy (a temporary file with an object store) is no longer needed.
      await saved.release().catch(() => undefined);
    }
  }

  /** Whether async uploads can be accepted at all (a queue is configured; it may be briefly down). */
  get acceptsTasks(): boolean {
    return this.deps.queue !== undefined;
  }

  /**
   * Enqueues a stored upload; false when Redis is unreachable or too slow to answer (the record
   * stays `pending` without enqueuedAt, and the RecoveryManager enqueues it once Redis is back;
   * enqueueing is idempotent per jobId, so a late success of this call does no harm).
   */
  async enqueue(record: FileRecord): Promise<boolean> {
    const { queue, db, logger } = this.deps;
    if (!queue) return false;
    try {
      await callQueue(queue, () => queue.enqueue({ jobId: record.jobId, fileId: record.id }));
    } catch (err) {
      logger.warn(
        { jobId: record.jobId, err: err instanceof Error ? err.message : String(err) },
        'queue unavailable at upload; the task will be enqueued by recovery',
      );
      return false;
    }
    await db.updateFileRecord(record.jobId, { enqueuedAt: new Date() }).catch(() => undefined);
    return true;
  }
}
