import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { previewFile } from '../../pipeline/preview.js';
import { runJob } from '../../pipeline/run-job.js';
import { classifyError } from '../../queue/error-handler.js';
import { parseColumnTypes } from '../../queue/task-producer.js';
import type { SavedFile } from '../../storage/index.js';
import type { AppServices } from '../deps.js';
import { uploadRateLimit } from '../exposure.js';
import { errorResponses, Preview, SyncUploadResult, UploadAccepted, UploadForm, UploadQuery } from '../schemas.js';

/** Attempt tokens of synchronous uploads (workers use uuids): tells the two apart in the database. */
export const SYNC_TOKEN_PREFIX = 'sync:';

interface ReceivedUpload {
  saved: SavedFile;
  filename: string;
  columnTypes: unknown;
}

/** Reads the multipart body: stores the `file` part as it streams in, collects the text fields. */
async function receiveUpload(deps: AppServices, request: FastifyRequest): Promise<ReceivedUpload> {
  if (!request.isMultipart()) throw new AppError('INVALID_REQUEST', '请使用 multipart/form-data 上传，文件字段名为 file');
  let saved: SavedFile | undefined;
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

/** Uploads (queued, or processed at once with `?mode=sync`) and the preview of a file. */
export const uploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = app.deps;

  app.post(
    '/api/data-cleaning/upload',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Upload a file (multipart/form-data) for cleaning',
        querystring: UploadQuery,
        response: { 200: SyncUploadResult, 202: UploadAccepted, ...errorResponses },
      },
      config: { multipartForm: UploadForm, ...uploadRateLimit(deps.config.current) },
    },
    async (request, reply) => {
      const { mode } = request.query;
      // Refused before the body is read: without a queue nobody would ever process the task.
      if (mode === 'async' && !deps.producer.acceptsTasks) {
        throw new AppError('QUEUE_UNAVAILABLE', '未配置任务队列（REDIS_URL），只能同步处理：请使用 ?mode=sync 上传');
      }
      const receiveStarted = performance.now();
      const upload = await receiveUpload(deps, request);
      const received = performance.now();
      let columnTypes;
      try {
        columnTypes = parseColumnTypes(upload.columnTypes);
      } catch (err) {
        await deps.producer.discard(upload.saved);
        throw err;
      }
      const record = await deps.producer.create(upload.saved, upload.filename, { columnTypes });
      deps.metrics.uploads.inc({ mode });

      if (mode === 'sync') {
        const token = `${SYNC_TOKEN_PREFIX}${randomUUID()}`;
        try {
          const stats = await runJob({
            db: deps.db,
            fileStore: deps.fileStore,
            jobId: record.jobId,
            token,
            batchSize: deps.config.current.BATCH_SIZE,
            limits: deps.parseLimits(),
            isTransient: (err) => classifyError(err).kind === 'retryable',
          });
          return reply.code(200).send({ jobId: record.jobId, fileId: record.id, message: '文件处理完成', totalRows: stats.totalRows, statistics: stats });
        } catch (err) {
          const c = classifyError(err);
          await deps.db.endAttempt(record.jobId, token, 'failed', c.code, c.message).catch(() => undefined);
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

  app.post(
    '/api/data-cleaning/preview',
    {
      schema: { tags: ['uploads'], summary: 'Headers, detected column types and sample rows of a file', response: { 200: Preview, ...errorResponses } },
      config: { multipartForm: UploadForm, ...uploadRateLimit(deps.config.current) },
    },
    async (request) => {
      const upload = await receiveUpload(deps, request);
      try {
        return await previewFile(upload.saved.path, { columnTypes: parseColumnTypes(upload.columnTypes), limits: deps.parseLimits() });
      } finally {
        await deps.producer.discard(upload.saved);
      }
    },
  );
};
