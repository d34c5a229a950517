import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { TSchema } from 'typebox';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The multipart form a route reads itself (documented as its request body, not validated by Fastify). */
    multipartForm?: TSchema;
  }
}

/** Only the API, health and metrics are documented (not the UI's files nor the dashboard). */
const DOCUMENTED = /^\/(api|health|metrics)(\/|$)/;

/**
 * The OpenAPI 3 document, generated from the route schemas, at /api/openapi.json, and a browsable
 * page at /api/docs. Registered before the routes (it collects them as they are added).
 */
export const openApiPlugin = fp(async (app: FastifyInstance, { version }: { version: string }) => {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Data Cleaning Service API',
        version,
        description: 'Upload Excel/CSV files, follow their cleaning, read and download the results. Prose: docs/API.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN, when the server has one' } } },
      security: [{ bearer: [] }],
    },
    transform: ({ schema, url, route }) => {
      if (!DOCUMENTED.test(url) || url.startsWith('/api/docs')) return { schema: { ...schema, hide: true }, url };
      const form = route.config?.multipartForm;
      return { schema: form ? { ...schema, consumes: ['multipart/form-data'], body: form } : schema, url };
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
