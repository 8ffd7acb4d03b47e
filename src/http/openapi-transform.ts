// What @fastify/swagger's `transform` adds to each operation of the OpenAPI document, for the
// answers every route can give although no route schema lists them: any 4xx the shared error
// path produces (a missing, repeated or invalid Host, a wrong method, an unmet Expect, an
// unsupported Content-Encoding) and the 500 of an unexpected error, or of the fault switch on
// the routes it acts on. Routes without an operationId get one from their method and path.
// Documentation only: the route schemas Fastify serialises with are left as they are.
import type { FastifySchema, RouteOptions } from 'fastify';

type Responses = Record<string, unknown>;

/** Always JSON, also on routes whose own answer is another media type (GET /metrics). */
function errorResponse(description: string): unknown {
  return { description, content: { 'application/json': { schema: { $ref: 'ErrorResponse#' } } } };
}

const CLIENT_ERROR = errorResponse(
  'A client error in the one error shape, e.g. a missing, repeated or invalid Host (400), ' +
    'a method the path does not allow (405, with Allow) or an unmet Expect (417)',
);

/** getMetrics for GET /metrics, getStatusCode for GET /status/:code. */
function derivedOperationId(method: string, url: string): string {
  const words = url.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('');
}

function serverError(faultable: boolean, faultInjection: boolean): unknown {
  return errorResponse(
    faultable && faultInjection
      ? 'A fault injected by FAULT_ERROR_RATE or PUT /faults ("Injected fault: ..."), or an unexpected error (details only in the log)'
      : 'An unexpected error (details only in the log)',
  );
}

export function documentedOperation(
  route: RouteOptions,
  schema: FastifySchema | undefined,
  faultInjection: boolean,
): FastifySchema {
  // A route without a schema has nothing to add to (none here; swagger documents it bare).
  if (schema === undefined || schema.hide === true) return schema ?? {};
  const responses = { ...(schema.response as Responses | undefined) };
  if (!('4xx' in responses)) responses['4xx'] = CLIENT_ERROR;
  if (!('5xx' in responses) && !('500' in responses)) {
    responses['500'] = serverError(route.config?.faultable === true, faultInjection);
  }
  const method = Array.isArray(route.method) ? String(route.method[0]) : route.method;
  const operationId =
    (schema as { operationId?: string }).operationId ?? derivedOperationId(method, route.url);
  return { ...schema, response: responses, operationId };
}
