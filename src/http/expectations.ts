// Requests whose Expect header asks for anything but 100-continue. Node answers them itself with
// a bodiless 417 unless the server listens for 'checkExpectation', and then it emits that event
// instead of 'request' (https://nodejs.org/api/http.html#event-checkexpectation). The listener
// here hands them to Fastify, marked, so their 417 comes from the error path like every other
// client error: JSON shape, request id, security and CORS headers, access log and metrics.
// RFC 9110 section 10.1.1: a server MAY answer an expectation it cannot meet with 417.
import type { IncomingMessage, RequestListener, Server } from 'node:http';

const unmet = new WeakSet<IncomingMessage>();

export function forwardUnmetExpectations(server: Server, handler: RequestListener): void {
  server.on('checkExpectation', (request: IncomingMessage, response) => {
    unmet.add(request);
    handler(request, response);
  });
}

/** Whether the request arrived through 'checkExpectation': an Expect this service cannot meet. */
export function hasUnmetExpectation(request: IncomingMessage): boolean {
  return unmet.has(request);
}
