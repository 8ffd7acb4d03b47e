// Request ids: trust a caller's x-request-id only when it looks like an id (so logs stay clean
// and bounded), otherwise make a new one.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFor(request: IncomingMessage): string {
  const supplied = request.headers[REQUEST_ID_HEADER];
  if (typeof supplied === 'string' && VALID_REQUEST_ID.test(supplied)) return supplied;
  return randomUUID();
}
