/**
 * The OpenAPI 3 document generated from the route schemas: every path of the API is in it (the
 * original endpoints with their original paths), each with its parameters and response schemas,
 * and the browsable page is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { call, REDIS_URL } from '../support/http-client.js';

const OPERATIONS = [
  ['post', '/api/data-cleaning/upload'],
  ['post', '/api/data-cleaning/preview'],
  ['get', '/api/data-cleaning/status/{jobId}'],
  ['get', '/api/data-cleaning/check-status/{taskId}'],
  ['get', '/api/data-cleaning/events/{taskId}'],
  ['post', '/api/data-cleaning/tasks/{taskId}/cancel'],
  ['post', '/api/data-cleaning/tasks/{taskId}/retry'],
  ['get', '/api/data-cleaning/files'],
  ['get', '/api/data-cleaning/files/{fileId}'],
  ['get', '/api/data-cleaning/data/clean/{jobId}'],
  ['get', '/api/data-cleaning/data/exceptions/{jobId}'],
  ['get', '/api/data-cleaning/download/clean/{jobId}'],
  ['get', '/api/data-cleaning/download/exceptions/{jobId}'],
  ['get', '/api/queue/stats'],
  ['get', '/api/config'],
  ['get', '/health/live'],
  ['get', '/health/ready'],
  ['get', '/metrics'],
] as const;

interface Operation {
  parameters?: { name: string; in: string; schema: { pattern?: string; enum?: string[] } }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, unknown>;
}

describe('OpenAPI document', () => {
  let scratch: IsolatedDatabase;
  let app: TestApp;
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    scratch = await createIsolatedDatabase('sqlite');
    app = await startTestApp({ databaseUrl: scratch.url, redisUrl: REDIS_URL });
    const res = await call<typeof doc>(app.baseUrl, '/api/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => {
    await app?.close();
    await scratch?.drop();
  });

  it('is OpenAPI 3 and documents exactly the API, health and metrics', () => {
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(OPERATIONS.map(([method, path]) => `${method} ${path}`).sort());
  });

  it.each(OPERATIONS.filter(([, path]) => path.includes('{')))('%s %s: the id parameter is a UUID', (method, path) => {
    const id = doc.paths[path][method].parameters?.find((p) => p.in === 'path');
    expect(id?.schema.pattern).toContain('[0-9a-fA-F]{8}');
  });

  it('uploads and previews are documented as multipart forms with a file field', () => {
    for (const path of ['/api/data-cleaning/upload', '/api/data-cleaning/preview']) {
      expect(Object.keys(doc.paths[path].post.requestBody?.content ?? {})).toEqual(['multipart/form-data']);
    }
    expect(Object.keys(doc.paths['/api/data-cleaning/upload'].post.responses)).toEqual(expect.arrayContaining(['200', '202', '4XX', '5XX']));
    const files = doc.paths['/api/data-cleaning/files'].get.parameters ?? [];
    expect(files.find((p) => p.name === 'sortBy')?.schema.enum).toEqual(['uploadedAt', 'originalName', 'size', 'status', 'totalRows']);
  });

  it('serves a browsable page at /api/docs', async () => {
    const res = await fetch(`${app.baseUrl}/api/docs`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('swagger');
  });
});
