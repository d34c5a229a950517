import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { statfs } from 'node:fs/promises';
import { AppError, isAppError } from '../../errors.js';
import { pipelineOptionsOf } from '../../pipeline/options.js';
import { previewInThread, syncInThread } from '../inline-work.js';
import { classifyError } from '../../queue/error-handler.js';
import { parseUploadFields, type UploadFields } from '../../queue/task-producer.js';
import type { SavedFile } from '../../storage/index.js';
import type { AppServices } from '../deps.js';
import { uploadRateLimit } from '../exposure.js';
import { errorResponses, Preview, SyncUploadResult, UploadAccepted, UploadForm, UploadQuery } from '../schemas.js';

/** Attempt tokens of synchronous uploads (workers use uuids): tells the two apart in the database. */
const SYNC_TOKEN_PREFIX = 'sync:';

interface ReceivedUpload {
  saved: SavedFile;
  filename: string;
  fields: UploadFields;
}

const FORM_FIELDS = new Set<keyof UploadFields>(['columnTypes', 'encoding', 'delimiter', 'dedupe']);
const isFormField = (name: string): name is keyof UploadFields => FORM_FIELDS.has(name as keyof UploadFields);

/** Reads the multipart body: stores the `file` part as it streams in, collects the text fields. */
async function receiveUpload(deps: AppServices, request: FastifyRequest): Promise<ReceivedUpload> {
  if (!request.isMultipart()) throw new AppError('INVALID_REQUEST', '请使用 multipart/form-data 上传，文件字段名为 file');
  let saved: SavedFile | undefined;
  let filename = '';
  const fields: UploadFields = {};
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
      } else if (isFormField(part.fieldname) && typeof part.value === 'string') {
        fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    if (saved) await deps.producer.discard(saved);
    throw err;
  }
  if (!saved) throw new AppError('INVALID_REQUEST', '缺少上传文件（字段名 file）');
  return { saved, filename, fields };
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
      await assertDiskSpace(deps);
      const receiveStarted = performance.now();
      const upload = await receiveUpload(deps, request);
      const received = performance.now();
      let options;
      try {
        options = parseUploadFields(upload.fields);
      } catch (err) {
        await deps.producer.discard(upload.saved);
        throw err;
      }
      const record = await deps.producer.create(upload.saved, upload.filename, options);
      deps.metrics.uploads.inc({ mode });

      if (mode === 'sync') {
        const config = deps.config.current;
        const token = `${SYNC_TOKEN_PREFIX}${randomUUID()}`;
        let started = false;
        let stats;
        try {
          stats = await deps.inline.run(reply, config.SYNC_TIMEOUT_MS, async (signal) => {
            started = true;
            try {
              const { batchSize, limits, detectionMaxValueChars } = pipelineOptionsOf(config);
              const options = { batchSize, limits, detectionMaxValueChars };
              const job = { databaseUrl: config.DATABASE_URL, path: upload.saved.path, jobId: record.jobId, token, options };
              return await syncInThread(job, signal, config.PIPELINE_THREAD_MEMORY_MB);
            } catch (err) {
              throw signal.aborted ? signal.reason : err;
            }
          });
        } catch (err) {
          // Ended (failed, timed out, client gone) or never started (busy, gone while waiting): a final status either way.
          await endSyncAttempt(deps, record.jobId, started ? token : null, err);
          throw err;
        }
        return reply.code(200).send({ jobId: record.jobId, fileId: record.id, message: '文件处理完成', totalRows: stats.totalRows, statistics: stats });
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
    async (request, reply) => {
      await assertDiskSpace(deps);
      const upload = await receiveUpload(deps, request);
      try {
        const config = deps.config.current;
        const { columnTypes, encoding, delimiter } = parseUploadFields(upload.fields);
        const { limits, detectionMaxValueChars } = pipelineOptionsOf(config);
        const options = { columnTypes, encoding, delimiter, limits, detectionMaxValueChars };
        return await deps.inline.run(reply, config.PREVIEW_TIMEOUT_MS, (signal) =>
          previewInThread({ path: upload.saved.path, options }, signal, config.PIPELINE_THREAD_MEMORY_MB),
        );
      } finally {
        await deps.producer.discard(upload.saved);
      }
    },
  );
};

/** Records how a sync upload's attempt ended: timeout, cancelled (client gone) or failed. */
async function endSyncAttempt(deps: AppServices, jobId: string, token: string | null, err: unknown): Promise<void> {
  const end =
    isAppError(err) && (err.code === 'PROCESSING_TIMEOUT' || err.code === 'CANCELLED')
      ? { status: err.code === 'CANCELLED' ? ('cancelled' as const) : ('timeout' as const), code: err.code, message: err.message }
      : { status: 'failed' as const, ...classifyError(err) };
  await deps.db.endAttempt(jobId, token, end.status, end.code, end.message).catch(() => undefined);
}

/** Refuses an upload (507) while the disk of the data directory is nearly full (MIN_FREE_DISK_BYTES). */
async function assertDiskSpace(deps: AppServices): Promise<void> {
  const { DATA_DIR, MIN_FREE_DISK_BYTES } = deps.config.current;
  if (MIN_FREE_DISK_BYTES === 0) return;
  const fs = await statfs(DATA_DIR).catch(() => undefined);
  if (fs && fs.bavail * fs.bsize < MIN_FREE_DISK_BYTES) {
    throw new AppError('INSUFFICIENT_STORAGE', '服务器磁盘空间不足，暂不能接收上传，请稍后重试或联系管理员');
  }
}
