// Answers requests that Node's HTTP parser rejects (malformed or oversized headers, bad request
// lines) with the same JSON error shape as everything else, then closes the connection.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { errorBody } from './errors.js';
import { API_HEADERS } from './security-headers.js';

const SECURITY_HEADER_LINES = Object.entries(API_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

interface ParserError extends Error {
  code?: string;
}

export function statusForClientError(error: ParserError): number {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

export function handleClientError(error: ParserError, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = statusForClientError(error);
  const message =
    status === 431
      ? 'Request headers are too large'
      : status === 408
        ? 'Request took too long to arrive'
        : 'Malformed HTTP request';
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(status, message, requestId));
  socket.end(
    `HTTP/1.1 ${status} ${errorBody(status, '', '').error}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\n` +
      SECURITY_HEADER_LINES +
      'Connection: close\r\n\r\n' +
      body,
  );
}
