// Answers requests that Node's HTTP parser rejects (malformed or oversized headers, bad request
// lines, a request that took too long to arrive) with the same JSON error shape and security
// headers as everything else, then closes the connection. Fastify never sees these: they are
// answered on the raw socket from the server's 'clientError' event (server-factory.ts).
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorBody } from './error-response.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { API_HEADERS } from './security-headers.js';

const SECURITY_HEADER_LINES = Object.entries(API_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

interface ParserError extends Error {
  code?: string;
}

function statusFor(error: ParserError): number {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

const MESSAGES: Readonly<Record<number, string>> = {
  400: 'Malformed HTTP request',
  408: 'Request took too long to arrive',
  431: 'Request headers are too large',
};

/**
 * Writes one JSON error answer on a raw socket and closes it: for requests that never reach
 * Fastify (here, and CONNECT in connect-requests.ts).
 */
export function endWithError(socket: Duplex, status: number, message: string): void {
  const requestId = randomUUID();
  const body = errorBody(status, message, requestId);
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${body.error}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      `${REQUEST_ID_HEADER}: ${requestId}\r\n` +
      SECURITY_HEADER_LINES +
      'Connection: close\r\n\r\n' +
      json,
  );
}

/** The server's 'clientError' listener. */
export function answerMalformedRequest(error: ParserError, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = statusFor(error);
  endWithError(socket, status, MESSAGES[status] ?? 'Bad Request');
}
