// Answers CONNECT, the method that asks a proxy for a tunnel (RFC 9110 section 9.3.6). Node's
// server never hands CONNECT to the request handler: it emits 'connect', and without a listener
// it closes the connection without a word (https://nodejs.org/api/http.html#event-connect_1).
// This service is an origin server, not a proxy, so it answers 501 Not Implemented, the status
// for a method it supports for no resource (RFC 9110 sections 9.1 and 15.6.2), in the JSON
// error shape on the raw socket, and closes: the socket has left the HTTP parser by then.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { endWithError } from './malformed-requests.js';

/** The server's 'connect' listener. */
export function answerConnectRequest(_request: IncomingMessage, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  endWithError(socket, 501, 'CONNECT is not supported: this is an origin server, not a proxy');
}
