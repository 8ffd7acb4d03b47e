// OpenAPI document built from the route schemas, served as /openapi.json and through the
// Swagger UI at /docs. Registered before the routes so that it sees all of them. The UI's pages
// carry helmet's document headers (http/security-headers.ts), every other answer the API set.
// The document passes Redocly's recommended lint ruleset (test/service/openapi-lint.test.ts):
// a server, security declared (none by default, the fault token on PUT /faults), a license, an
// operationId per operation, and shared schemas under their own names rather than def-0.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import {
  FAULT_TOKEN_SCHEME,
  faultSwitchWritable,
  faultTokenSecurityScheme,
} from '../faults/fault-token.js';
import { documentedOperation } from '../http/openapi-transform.js';
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
          license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
        },
        // Relative: the document describes whichever host and port served it.
        servers: [{ url: '/', description: 'The service that served this document' }],
        // Declared only where PUT /faults exists to use it (an unused scheme is a lint warning);
        // without it GET /faults says why the settings are read-only.
        components: faultSwitchWritable(config)
          ? { securitySchemes: { [FAULT_TOKEN_SCHEME]: faultTokenSecurityScheme } }
          : {},
        // No credentials by default; PUT /faults names the fault token itself.
        security: [],
        tags: [
          { name: 'service', description: 'What callers use' },
          { name: 'operations', description: 'Probes, metrics and build information' },
          { name: 'faults', description: 'Fault injection and load generation for drills' },
        ],
      },
      transform: ({ schema, url, route }) => ({
        schema: documentedOperation(route, schema, config.faultInjectionEnabled),
        url,
      }),
      // Shared schemas keep their $id as their component name (ErrorResponse, FaultSettings);
      // the default def-0, def-1 would become Def0 in generated clients.
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `schema-${i}`,
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
