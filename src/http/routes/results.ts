import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ResultKind } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import { EXPORT_CONTENT_TYPES, exportFileName } from '../../export/index.js';
import { exportJobResults } from '../../pipeline/export-job.js';
import { TOKEN_IN_QUERY } from '../auth.js';
import { taskRecord } from '../records.js';
import { CleanPage, DownloadFile, DownloadQuery, errorResponses, ExceptionPage, JobIdParams, PageQuery } from '../schemas.js';

const RESULT_KINDS: readonly ResultKind[] = ['clean', 'exceptions'];

/** A completed task's results: the clean rows and the exceptions, as JSON pages and as downloads. */
export const resultRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.deps;

  app.get(
    '/api/data-cleaning/data/clean/:jobId',
    {
      schema: {
        tags: ['results'],
        summary: 'A page of clean rows',
        params: JobIdParams,
        querystring: PageQuery,
        response: { 200: CleanPage, ...errorResponses },
      },
    },
    async (request) => {
      const record = await taskRecord(db, request.params.jobId);
      const { page, pageSize } = request.query;
      const layouts = record.layout ?? [];
      const { rows, total } = await db.cleanRows(record.jobId, { page, pageSize });
      return {
        jobId: record.jobId,
        columns: [...new Set(layouts.flatMap((l) => l.cleanColumns))],
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
    },
  );

  app.get(
    '/api/data-cleaning/data/exceptions/:jobId',
    {
      schema: {
        tags: ['results'],
        summary: 'A page of exception rows',
        params: JobIdParams,
        querystring: PageQuery,
        response: { 200: ExceptionPage, ...errorResponses },
      },
    },
    async (request) => {
      const record = await taskRecord(db, request.params.jobId);
      const { page, pageSize } = request.query;
      const layouts = record.layout ?? [];
      const { rows, total } = await db.exceptionRows(record.jobId, { page, pageSize });
      return {
        jobId: record.jobId,
        columns: [...new Set(layouts.flatMap((l) => l.headers))],
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
    },
  );

  // One implementation for both downloads: the kind is the route's own.
  for (const kind of RESULT_KINDS) {
    app.get(
      `/api/data-cleaning/download/${kind}/:jobId`,
      {
        schema: {
          tags: ['results'],
          summary: `Download the ${kind === 'clean' ? 'clean data' : 'exceptions'} (xlsx or csv file)`,
          params: JobIdParams,
          querystring: DownloadQuery,
          response: { 200: DownloadFile, ...errorResponses },
        },
        config: TOKEN_IN_QUERY,
      },
      async (request, reply) => {
        const record = await taskRecord(db, request.params.jobId);
        const { format } = request.query;
        if (record.status !== 'completed') {
          throw new AppError('INVALID_STATE', `任务尚未完成（当前状态：${record.status}），暂不能下载`, { status: record.status });
        }
        const body = new PassThrough();
        reply
          .header('Content-Type', EXPORT_CONTENT_TYPES[format].mime)
          .header('Content-Disposition', `attachment; filename="${exportFileName(kind, format, record.jobId)}"`)
          .header('Cache-Control', 'no-store');
        exportJobResults(db, record, kind, format, body).catch((err: unknown) => {
          request.log.error({ err, jobId: record.jobId }, 'export failed mid-stream');
          body.destroy(err instanceof Error ? err : new Error(String(err)));
        });
        return reply.send(body);
      },
    );
  }
};
