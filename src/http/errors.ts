import { homedir, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AppError, isAppError, type ErrorCode } from '../errors.js';

const STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  INVALID_TASK_ID: 400,
  INVALID_COLUMN_TYPES: 400,
  EMPTY_FILE: 400,
  UNSUPPORTED_FILE_TYPE: 415,
  FILE_SIZE_EXCEEDED: 413,
  CORRUPTED_FILE: 422,
  ZIP_BOMB_DETECTED: 422,
  ROW_LIMIT_EXCEEDED: 422,
  COLUMN_LIMIT_EXCEEDED: 422,
  LINE_TOO_LONG: 422,
  UNAUTHORIZED: 401,
  JOB_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  INVALID_STATE: 409,
  PROCESSING_TIMEOUT: 409,
  CANCELLED: 409,
  QUEUE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  FILE_STORE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  SERVER_BUSY: 503,
  INSUFFICIENT_STORAGE: 507,
};

export interface ErrorBody {
  statusCode: number;
  errorCode: string;
  message: string;
  details?: unknown;
  timestamp: string;
}

export function errorBody(statusCode: number, errorCode: string, message: string, details?: unknown): ErrorBody {
  return { statusCode, errorCode, message, ...(details === undefined ? {} : { details }), timestamp: new Date().toISOString() };
}

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  const status = STATUS[err.code] ?? 500;
  return reply.code(status).send(errorBody(status, err.code, redactPaths(err.message), err.details === undefined ? undefined : redactPaths(err.details)));
}

/**
 * Directories of this machine a message or detail may name (the data directory, the working
 * directory, the temp and home directories): replaced by `…` so no answer reveals the server's
 * file layout. Longest first, so a data directory inside the working directory is cut whole.
 */
const LOCAL_ROOTS = [...new Set([process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : '', process.cwd(), tmpdir(), homedir()])]
  .filter((root) => root.length > 1)
  .sort((a, b) => b.length - a.length);
const ABSOLUTE_PATH = new RegExp(`(?:${LOCAL_ROOTS.map((root) => root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})[^\\s"'，。：；]*`, 'g');

export function redactPaths<T>(value: T): T {
  if (LOCAL_ROOTS.length === 0) return value;
  if (typeof value === 'string') return value.replace(ABSOLUTE_PATH, '…') as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactPaths(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactPaths(v)])) as T;
  }
  return value;
}

const DB_UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|PROTOCOL_CONNECTION_LOST|Connection terminated|57P0[123]|SQLITE_BUSY|ER_CON_COUNT_ERROR|timeout exceeded when trying to connect/;

/** Maps every error to the common error body (SPEC §4) with a stable errorCode. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (isAppError(error)) {
      if (STATUS[error.code] >= 500) request.log.warn({ err: error, code: error.code }, error.message);
      return sendError(reply, error);
    }
    const fe = error as FastifyError;
    if (fe.validation && fe.validationContext === 'params') {
      // Every path parameter is an id: a malformed one is INVALID_TASK_ID, as before schemas did it.
      const given = Object.values(request.params && typeof request.params === 'object' ? request.params : {}).find((v) => typeof v === 'string');
      return sendError(reply, new AppError('INVALID_TASK_ID', `任务ID格式无效：${String(given ?? '').slice(0, 80)}`));
    }
    if (fe.validation) {
      return reply.code(400).send(
        errorBody(
          400,
          'INVALID_REQUEST',
          `请求参数无效：${fe.message}`,
          fe.validation.map((v) => ({ path: v.instancePath || v.params, message: v.message })),
        ),
      );
    }
    if (fe.code === 'FST_REQ_FILE_TOO_LARGE' || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, new AppError('FILE_SIZE_EXCEEDED', '文件超过大小限制'));
    }
    if (
      fe.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' ||
      fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ||
      fe.code === 'FST_PARTS_LIMIT' ||
      fe.code === 'FST_FILES_LIMIT' ||
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      fe.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'
    ) {
      return reply.code(400).send(errorBody(400, 'INVALID_REQUEST', `请求格式无效：${fe.message}`));
    }
    const code = (error as { code?: unknown }).code;
    if (DB_UNAVAILABLE.test(`${String(code)} ${error.message}`)) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendError(reply, new AppError('DATABASE_UNAVAILABLE', '数据库暂不可用，请稍后重试'));
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send(errorBody(fe.statusCode, 'INVALID_REQUEST', fe.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody(500, 'INTERNAL_ERROR', '服务器内部错误', { requestId: request.id }));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, 'NOT_FOUND', `接口不存在：${request.method} ${request.url.split('?')[0]}`));
  });
}
