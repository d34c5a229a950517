import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { fileSummaryDto } from '../dto.js';
import { fileRecord } from '../records.js';
import { errorResponses, FileDetail, FileIdParams, FileList, FileListQuery } from '../schemas.js';

/** The list of uploaded files (paged, filtered, sorted) and one file's detail. */
export const fileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.deps;

  app.get(
    '/api/data-cleaning/files',
    { schema: { tags: ['files'], summary: 'Uploaded files', querystring: FileListQuery, response: { 200: FileList, ...errorResponses } } },
    async (request) => {
      const q = request.query;
      const { files, total } = await db.listFileRecords({
        page: q.page,
        pageSize: q.pageSize,
        status: q.status,
        startDate: parseDateParam(q.startDate, 'startDate', false),
        endDate: parseDateParam(q.endDate, 'endDate', true),
        sortBy: q.sortBy,
        order: q.order,
      });
      return { files: files.map(fileSummaryDto), total, page: q.page, pageSize: q.pageSize };
    },
  );

  app.get(
    '/api/data-cleaning/files/:fileId',
    { schema: { tags: ['files'], summary: 'One file and its statistics', params: FileIdParams, response: { 200: FileDetail, ...errorResponses } } },
    async (request) => {
      const record = await fileRecord(db, request.params.fileId);
      return { file: fileSummaryDto(record), statistics: record.statistics ?? null };
    },
  );
};

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
