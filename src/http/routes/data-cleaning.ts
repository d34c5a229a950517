import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { exportJobResults, type ResultKind } from '../../pipeline/export-job.js';
import { previewFile } from '../../pipeline/preview.js';
import { runJob } from '../../pipeline/run-job.js';
import { classifyError } from '../../queue/error-handler.js';
import { parseColumnTypes, type SavedUpload } from '../../queue/task-producer.js';
import type { FileRecord } from '../../storage/index.js';
import type { HttpDeps } from '../app.js';
import { TOKEN_IN_QUERY } from '../auth.js';
import { assertTaskId, fileSummary, taskStatus } from '../views.js';
import type { ExportFormat } from '../../domain/index.js';

export const SYNC_TOKEN_PREFIX = 'sync:';

const pageQuery = {
  type: 'object',
  properties: {
    page: { type: 'integer', minimum: 1, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
} as const;

// No length limit here: assertTaskId answers INVALID_TASK_ID for anything that is not a UUID.
const jobParams = { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } } as const;

async function recordByJobId(deps: HttpDeps, jobId: string): Promise<FileRecord> {
  assertTaskId(jobId);
  const record = await deps.db.getFileRecordByJobId(jobId);
  if (!record) throw new AppError('JOB_NOT_FOUND', `任务不存在：${jobId}`);
  return record;
}

/** Reads the multipart body: stores the `file` part as it streams in, collects `columnTypes`. */
async function receiveUpload(deps: HttpDeps, request: FastifyRequest): Promise<{ saved: SavedUpload; filename: string; columnTypes: unknown }> {
  if (!request.isMultipart()) throw new AppError('INVALID_REQUEST', '请使用 multipart/form-data 上传，文件字段名为 file');
  let saved: SavedUpload | undefined;
  let filename = '';
  let columnTypes: unknown;
  try {
    const parts = request.parts({ limits: { fileSize: deps.config.current.MAX_FILE_SIZE + 1, files: 1, fields: 10, fieldSize: 1024 * 1024 } });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || saved) {
          part.file.resume(); // drain parts we do not use
          continue;
        }
        filename = part.filename;
        saved = await deps.producer.save(part.file);
      } else if (part.fieldname === 'columnTypes') {
        columnTypes = part.value;
      }
    }
  } catch (err) {
    if (saved) await deps.producer.discard(saved);
    throw err;
  }
  if (!saved) throw new AppError('INVALID_REQUEST', '缺少上传文件（字段名 file）');
  return { saved, filename, columnTypes };
}

export function dataCleaningRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { db } = deps;

  app.post(
    '/api/data-cleaning/upload',
    {
      schema: { querystring: { type: 'object', properties: { mode: { type: 'string', enum: ['sync', 'async'], default: 'async' } } } },
    },
    async (request, reply) => {
      const { mode } = request.query as { mode: 'sync' | 'async' };
      // Refused before the body is read: without a queue nobody would ever process the task.
      if (mode === 'async' && !deps.producer.acceptsTasks) {
        throw new AppError('QUEUE_UNAVAILABLE', '未配置任务队列（REDIS_URL），只能同步处理：请使用 ?mode=sync 上传');
      }
      const receiveStarted = performance.now();
      const { saved, filename, columnTypes: rawTypes } = await receiveUpload(deps, request);
      const received = performance.now();
      let columnTypes;
      try {
        columnTypes = parseColumnTypes(rawTypes);
      } catch (err) {
        await deps.producer.discard(saved);
        throw err;
      }
      const record = await deps.producer.create(saved, filename, columnTypes);
      deps.metrics?.uploads.inc({ mode });

      if (mode === 'sync') {
        const config = deps.config.current;
        const token = `${SYNC_TOKEN_PREFIX}${randomUUID()}`;
        try {
          const stats = await runJob({
            db,
            fileStore: deps.fileStore,
            jobId: record.jobId,
            token,
            batchSize: config.BATCH_SIZE,
            limits: deps.parseLimits(),
            isTransient: (err) => classifyError(err).kind === 'retryable',
          });
          return reply.code(200).send({ jobId: record.jobId, fileId: record.id, message: '文件处理完成', totalRows: stats.totalRows, statistics: stats });
        } catch (err) {
          const c = classifyError(err);
          await db.endAttempt(record.jobId, token, 'failed', c.code, c.message).catch(() => undefined);
          throw err;
        }
      }

      const enqueued = await deps.producer.enqueue(record);
      // What the upload costs beyond receiving (and storing) the bytes: content check, record, enqueue.
      reply.header('Server-Timing', `receive;dur=${(received - receiveStarted).toFixed(2)}, after-receive;dur=${(performance.now() - received).toFixed(2)}`);
      return reply.code(202).send({
        taskId: record.jobId,
        jobId: record.jobId,
        fileId: record.id,
        status: 'pending',
        message: enqueued ? '文件上传成功，开始处理' : '文件上传成功，任务队列暂不可用，恢复后将自动开始处理',
      });
    },
  );

  app.get('/api/data-cleaning/status/:jobId', { schema: { params: jobParams } }, async (request) => {
    const record = await recordByJobId(deps, (request.params as { jobId: string }).jobId);
    const view = await taskStatus(record, deps.queue);
    return {
      jobId: record.jobId,
      status: record.status,
      progress: view.progress,
      ...(record.status === 'completed' ? { statistics: record.statistics } : {}),
    };
  });

  app.get(
    '/api/data-cleaning/files',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery.properties,
            status: { type: 'string', enum: ['pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled'] },
            startDate: { type: 'string', maxLength: 40 },
            endDate: { type: 'string', maxLength: 40 },
            sortBy: { type: 'string', enum: ['uploadedAt', 'originalName', 'size', 'status', 'totalRows'], default: 'uploadedAt' },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as {
        page: number;
        pageSize: number;
        status?: FileRecord['status'];
        startDate?: string;
        endDate?: string;
        sortBy: 'uploadedAt';
        order: 'asc' | 'desc';
      };
      const startDate = parseDateParam(q.startDate, 'startDate', false);
      const endDate = parseDateParam(q.endDate, 'endDate', true);
      const { files, total } = await db.listFileRecords({
        page: q.page,
        pageSize: q.pageSize,
        status: q.status,
        startDate,
        endDate,
        sortBy: q.sortBy,
        order: q.order,
      });
      return { files: files.map(fileSummary), total, page: q.page, pageSize: q.pageSize };
    },
  );

  app.get(
    '/api/data-cleaning/files/:fileId',
    {
      schema: { params: { type: 'object', required: ['fileId'], properties: { fileId: { type: 'string' } } } },
    },
    async (request) => {
      const { fileId } = request.params as { fileId: string };
      assertTaskId(fileId);
      const record = await db.getFileRecord(fileId);
      if (!record) throw new AppError('FILE_NOT_FOUND', `文件记录不存在：${fileId}`);
      return { file: fileSummary(record), statistics: record.statistics ?? null };
    },
  );

  app.get('/api/data-cleaning/data/clean/:jobId', { schema: { params: jobParams, querystring: pageQuery } }, async (request) => {
    const record = await recordByJobId(deps, (request.params as { jobId: string }).jobId);
    const { page, pageSize } = request.query as { page: number; pageSize: number };
    const layouts = record.layout ?? [];
    const { rows, total } = await db.cleanRows(record.jobId, { page, pageSize });
    const columns = [...new Set(layouts.flatMap((l) => l.cleanColumns))];
    return {
      jobId: record.jobId,
      columns,
      data: rows.map((r) => {
        const layout = layouts[r.sheetIndex];
        const values: Record<string, string> = {};
        layout?.cleanColumns.forEach((c, i) => (values[c] = r.values[i] ?? ''));
        return { rowNumber: r.rowNumber, sheetName: layout?.name ?? '', values };
      }),
      total,
      page,
      pageSize,
    };
  });

  app.get('/api/data-cleaning/data/exceptions/:jobId', { schema: { params: jobParams, querystring: pageQuery } }, async (request) => {
    const record = await recordByJobId(deps, (request.params as { jobId: string }).jobId);
    const { page, pageSize } = request.query as { page: number; pageSize: number };
    const layouts = record.layout ?? [];
    const { rows, total } = await db.exceptionRows(record.jobId, { page, pageSize });
    const columns = [...new Set(layouts.flatMap((l) => l.headers))];
    return {
      jobId: record.jobId,
      columns,
      data: rows.map((r) => {
        const layout = layouts[r.sheetIndex];
        const originalData: Record<string, string> = {};
        layout?.headers.forEach((h, i) => (originalData[h] = r.values[i] ?? ''));
        return { rowNumber: r.rowNumber, sheetName: layout?.name ?? '', originalData, errors: r.errors, reason: r.reason ?? '' };
      }),
      total,
      page,
      pageSize,
    };
  });

  const download = (kind: ResultKind) => async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const record = await recordByJobId(deps, (request.params as { jobId: string }).jobId);
    const { format } = request.query as { format: ExportFormat };
    if (record.status !== 'completed') {
      throw new AppError('INVALID_STATE', `任务尚未完成（当前状态：${record.status}），暂不能下载`, { status: record.status });
    }
    const name = `${kind === 'clean' ? 'clean_data' : 'exception_data'}_${record.jobId}.${format}`;
    const body = new PassThrough();
    reply
      .header('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .header('Cache-Control', 'no-store');
    exportJobResults(db, record, kind, format, body).catch((err: unknown) => {
      request.log.error({ err, jobId: record.jobId }, 'export failed mid-stream');
      body.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    return reply.send(body);
  };
  const downloadSchema = {
    params: jobParams,
    querystring: { type: 'object', properties: { format: { type: 'string', enum: ['xlsx', 'csv'], default: 'xlsx' }, token: { type: 'string' } } },
  };
  app.get('/api/data-cleaning/download/clean/:jobId', { schema: downloadSchema, config: TOKEN_IN_QUERY }, download('clean'));
  app.get('/api/data-cleaning/download/exceptions/:jobId', { schema: downloadSchema, config: TOKEN_IN_QUERY }, download('exceptions'));

  app.post('/api/data-cleaning/preview', async (request) => {
    const { saved, columnTypes: rawTypes } = await receiveUpload(deps, request);
    try {
      return await previewFile(saved.path, { columnTypes: parseColumnTypes(rawTypes), limits: deps.parseLimits() });
    } finally {
      await deps.producer.discard(saved);
    }
  });
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An ISO-8601 instant with its offset: 2026-11-27T10:00:00Z, 2026-11-27T18:00:00.5+08:00 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isCalendarDay(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
}

/**
 * `2026-11-27` means that whole day (UTC); a full ISO instant with an offset is taken as is.
 * Anything else (`2026`, `2026-02-30`, a time without offset…) is refused rather than guessed.
 */
function parseDateParam(value: string | undefined, name: string, endOfDay: boolean): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const parts = DAY.exec(value) ?? INSTANT.exec(value);
  const date =
    parts && isCalendarDay(parts[1], parts[2], parts[3])
      ? new Date(parts[0].length === 10 ? `${value}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : value)
      : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new AppError('INVALID_REQUEST', `${name} 不是有效日期：${value.slice(0, 40)}（格式 2026-11-27 或 2026-11-27T10:00:00Z）`, {
      [name]: value.slice(0, 40),
    });
  }
  return date;
}
