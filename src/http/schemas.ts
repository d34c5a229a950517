/**
 * JSON schemas (TypeBox) of every request part and response of the API: Fastify validates requests
 * with them, serializes responses with them, the route handlers get their types from them, and
 * the OpenAPI document at /api/openapi.json is generated from them. The one home of the API's shapes.
 *
 * Rules: a response object lists every property it sends (the serializer drops the rest), so a
 * field added to a handler's answer must be added here too; free-form values (statistics, error
 * details) are `Type.Unknown()`.
 */
import type { Readable } from 'node:stream';
import { Type, type TInteger, type TSchema } from 'typebox';
import { COLUMN_TYPES, JOB_STATUSES, PHASES } from '../domain/index.js';
import type { QueueCounts } from '../queue/queue-manager.js';
import { FILE_SORT_KEYS } from '../storage/index.js';

const QUEUE_STATES: readonly (keyof QueueCounts)[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused', 'prioritized'];

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** One of a fixed list of strings (an OpenAPI enum), typed as that union. */
const literals = <T extends string>(values: readonly T[], options: { default?: T } = {}) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
const Instant = Type.String({ format: 'date-time' });

/** A task (job) or file id. A malformed id is answered INVALID_TASK_ID (see errors.ts). */
const Id = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });
export const TaskIdParams = Type.Object({ taskId: Id });
export const JobIdParams = Type.Object({ jobId: Id });
export const FileIdParams = Type.Object({ fileId: Id });

const Status = literals(JOB_STATUSES);
const ColumnTypeSchema = literals(COLUMN_TYPES);

export const PageQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export const FileListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  status: Type.Optional(Status),
  startDate: Type.Optional(Type.String({ maxLength: 40, description: '2026-11-27 (that whole day, UTC) or an ISO instant with offset' })),
  endDate: Type.Optional(Type.String({ maxLength: 40, description: '2026-11-27 (that whole day, UTC) or an ISO instant with offset' })),
  sortBy: literals(FILE_SORT_KEYS, { default: 'uploadedAt' }),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' }),
});

export const UploadQuery = Type.Object({
  mode: Type.Union([Type.Literal('sync'), Type.Literal('async')], { default: 'async' }),
});

export const DownloadQuery = Type.Object({
  format: Type.Union([Type.Literal('xlsx'), Type.Literal('csv')], { default: 'xlsx' }),
  token: Type.Optional(Type.String({ description: 'API token, for links that cannot send headers' })),
});

export const EventsQuery = Type.Object({
  token: Type.Optional(Type.String({ description: 'API token (EventSource cannot send headers)' })),
});

/** The common error body (SPEC §4). */
const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  errorCode: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
  timestamp: Instant,
});

/** Error answers every route may give (4xx and 5xx share the body). */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export const FileSummary = Type.Object({
  id: Type.String(),
  jobId: Type.String(),
  originalName: Type.String(),
  size: Type.Integer(),
  fileType: Type.String(),
  mimeType: Type.String(),
  status: Status,
  uploadedAt: nullable(Instant),
  enqueuedAt: nullable(Instant),
  startedAt: nullable(Instant),
  completedAt: nullable(Instant),
  totalRows: Type.Integer(),
  cleanedRows: Type.Integer(),
  exceptionRows: Type.Integer(),
  processingTimeMs: nullable(Type.Number()),
  errorCode: nullable(Type.String()),
  errorMessage: nullable(Type.String()),
});

export const FileList = Type.Object({ files: Type.Array(FileSummary), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });
export const FileDetail = Type.Object({ file: FileSummary, statistics: Type.Unknown() });

export const TaskStatus = Type.Object({
  taskId: Type.String(),
  fileId: Type.String(),
  fileName: Type.String(),
  status: Status,
  progress: Type.Number(),
  processedRows: Type.Integer(),
  totalRows: Type.Integer(),
  totalIsEstimate: Type.Boolean(),
  currentPhase: literals(PHASES),
  estimatedTimeRemaining: nullable(Type.Number()),
  statistics: Type.Unknown(),
  createdAt: nullable(Instant),
  startedAt: nullable(Instant),
  completedAt: nullable(Instant),
  errorCode: nullable(Type.String()),
  errorMessage: nullable(Type.String()),
  attempts: Type.Integer(),
});

/** The original (pre-queue) status answer. */
export const LegacyStatus = Type.Object({
  jobId: Type.String(),
  status: Status,
  progress: Type.Number(),
  statistics: Type.Optional(Type.Unknown()),
});

export const TaskTransition = Type.Object({
  taskId: Type.String(),
  status: Type.Union([Type.Literal('cancelled'), Type.Literal('pending')]),
  message: Type.String(),
});

export const UploadAccepted = Type.Object({
  taskId: Type.String(),
  jobId: Type.String(),
  fileId: Type.String(),
  status: Type.Literal('pending'),
  message: Type.String(),
});

export const SyncUploadResult = Type.Object({
  jobId: Type.String(),
  fileId: Type.String(),
  message: Type.String(),
  totalRows: Type.Integer(),
  statistics: Type.Unknown(),
});

/** The multipart form of an upload or preview (documentation; the fields are checked in uploads.ts). */
export const UploadForm = Type.Object({
  file: Type.String({ format: 'binary', description: 'The .xlsx, .xls or .csv file (decided by content)' }),
  columnTypes: Type.Optional(Type.String({ description: 'JSON object header → column type, e.g. {"手机号":"phone"}' })),
  encoding: Type.Optional(Type.String({ description: 'CSV only: text encoding (utf-8, gb18030, big5, utf-16le…); detected when absent' })),
  delimiter: Type.Optional(Type.String({ description: 'CSV only: field delimiter, one character (, ; | or tab); detected when absent' })),
  dedupe: Type.Optional(Type.Literal('exact', { description: 'exact: a row identical to an earlier one after cleaning becomes an exception (重复行)' })),
});

export const Preview = Type.Object({
  format: Type.String(),
  sheets: Type.Array(
    Type.Object({
      name: Type.String(),
      headers: Type.Array(Type.String()),
      detectedTypes: Type.Array(ColumnTypeSchema),
      sampleRows: Type.Array(Type.Array(Type.String())),
    }),
  ),
});

const resultPage = <T extends TSchema>(row: T) =>
  Type.Object({
    jobId: Type.String(),
    columns: Type.Array(Type.String()),
    data: Type.Array(row),
    total: Type.Integer(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
  });

const Cells = Type.Record(Type.String(), Type.String());
export const CleanPage = resultPage(Type.Object({ rowNumber: Type.Integer(), sheetName: Type.String(), values: Cells }));
export const ExceptionPage = resultPage(
  Type.Object({ rowNumber: Type.Integer(), sheetName: Type.String(), originalData: Cells, errors: Type.Unknown(), reason: Type.String() }),
);

/** A download: the xlsx or csv file itself, streamed. */
export const DownloadFile = Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'xlsx or csv file (Content-Disposition names it)' });

export const ClientConfig = Type.Object({
  maxFileSize: Type.Integer(),
  acceptedExtensions: Type.Array(Type.String()),
  columnTypes: Type.Array(ColumnTypeSchema),
  authRequired: Type.Boolean(),
  version: Type.String(),
});

const Check = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('disabled')]),
  latencyMs: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
});
export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  checks: Type.Object({ redis: Check, database: Check }),
});
export const Liveness = Type.Object({ status: Type.Literal('ok') });

export const QueueStats = Type.Object({
  counts: Type.Object(Object.fromEntries(QUEUE_STATES.map((state) => [state, Type.Integer()])) as Record<keyof QueueCounts, TInteger>),
  workers: Type.Integer(),
  throughput: Type.Object({ jobsPerMinute: Type.Number(), rowsPerSecond: Type.Number() }),
  errorRate: Type.Number(),
  recentFailures: Type.Array(
    Type.Object({
      taskId: Type.String(),
      fileName: Type.String(),
      status: Status,
      errorCode: nullable(Type.String()),
      errorMessage: nullable(Type.String()),
      failedAt: nullable(Instant),
    }),
  ),
  timestamp: Instant,
});
