// Builds the one JSON error shape. Kept apart from the plugin so the raw client-error path
// (malformed HTTP, before Fastify has a request) produces exactly the same body.
import { STATUS_CODES } from 'node:http';
import type { ErrorResponse } from './schemas.js';

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
