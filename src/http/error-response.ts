// The one JSON shape of every error answer, {statusCode, error, message, requestId}: its schema
// (for the route response maps and the OpenAPI document), the function that builds it, and the
// error class whose message may reach the client. Every path that answers with an error uses
// errorBody: the Fastify error and not-found handlers (error-handling.ts), the errors Fastify
// raises before routing, and the raw-socket answers to requests Node's parser rejects
// (malformed-requests.ts).
import { STATUS_CODES } from 'node:http';
import { Type, type Static } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status code, repeated.' }),
    error: Type.String({ description: 'The status text, for example "Bad Request".' }),
    message: Type.String({ description: 'What went wrong, in one line.' }),
    requestId: Type.String({ description: 'The x-request-id of this request.' }),
  },
  { $id: 'ErrorResponse', description: 'The one shape of every error answer.' },
);
type ErrorResponse = Static<typeof ErrorResponse>;

/**
 * A reference to ErrorResponse for route response maps (once it is added with addSchema), with
 * the description the OpenAPI document shows for that answer.
 */
export function errorRef(description: string) {
  return Type.Ref('ErrorResponse', { description });
}

export function errorBody(statusCode: number, message: string, requestId: string): ErrorResponse {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    requestId,
  };
}

/** An error whose message is safe to show the client (4xx, or a deliberate fault). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
