// OpenAPI document built from the route schemas, served as /openapi.json and through the
// Swagger UI at /docs. Registered before the routes so that it sees all of them. The UI's pages
// carry helmet's document headers (http/security-headers.ts), every other answer the API set.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { documentHeadersHook } from '../http/security-headers.js';

export default fp<{ config: Config }>(
  async function docsPlugin(app: FastifyInstance, { config }) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'hello-api',
          description:
            'A small HTTP service with health, readiness, metrics and fault-injection endpoints.',
          version: config.build.version,
        },
        tags: [
          { name: 'service', description: 'What callers use' },
          { name: 'operations', description: 'Probes, metrics and build information' },
          { name: 'faults', description: 'Fault injection and load generation for drills' },
        ],
      },
    });
    // Its own context, so the HTML document headers apply to /docs and its assets only.
    await app.register(async function documents(docs) {
      docs.addHook('onRequest', documentHeadersHook);
      await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null } });
    });

    app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  },
  { name: 'docs' },
);
