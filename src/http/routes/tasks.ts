import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { taskStatusDto } from '../dto.js';
import { taskRecord } from '../records.js';
import { errorResponses, JobIdParams, LegacyStatus, TaskIdParams, TaskStatus, TaskTransition } from '../schemas.js';

/** A task's status (full and original shape), cancel and retry (orchestrated by the TaskService). */
export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, tasks, watch } = app.deps;

  app.get(
    '/api/data-cleaning/check-status/:taskId',
    { schema: { tags: ['tasks'], summary: 'Full status of a task', params: TaskIdParams, response: { 200: TaskStatus, ...errorResponses } } },
    async (request) => taskStatusDto(await taskRecord(db, request.params.taskId), app.deps.queue),
  );

  app.get(
    '/api/data-cleaning/status/:jobId',
    { schema: { tags: ['tasks'], summary: 'Status in the original shape', params: JobIdParams, response: { 200: LegacyStatus, ...errorResponses } } },
    async (request) => {
      const record = await taskRecord(db, request.params.jobId);
      const view = await taskStatusDto(record, app.deps.queue);
      return {
        jobId: record.jobId,
        status: record.status,
        progress: view.progress,
        ...(record.status === 'completed' ? { statistics: record.statistics } : {}),
      };
    },
  );

  app.post(
    '/api/data-cleaning/tasks/:taskId/cancel',
    { schema: { tags: ['tasks'], summary: 'Cancel a pending or processing task', params: TaskIdParams, response: { 200: TaskTransition, ...errorResponses } } },
    async (request) => {
      const result = await tasks.cancel(await taskRecord(db, request.params.taskId));
      watch.notify(result.taskId);
      return result;
    },
  );

  app.post(
    '/api/data-cleaning/tasks/:taskId/retry',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Retry a failed, timed-out or cancelled task',
        params: TaskIdParams,
        response: { 200: TaskTransition, ...errorResponses },
      },
    },
    async (request) => {
      const result = await tasks.retry(await taskRecord(db, request.params.taskId));
      watch.notify(result.taskId);
      return result;
    },
  );
};
