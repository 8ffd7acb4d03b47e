// The Node HTTP server under Fastify (its `serverFactory` option), with timeouts fit for life
// behind a load balancer, raw-socket JSON answers for requests Node's parser rejects and for
// CONNECT, and requests with an unmet Expect passed on to Fastify for its 417.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config.js';
import { answerConnectRequest } from './connect-requests.js';
import { forwardUnmetExpectations } from './expectations.js';
import { answerMalformedRequest } from './malformed-requests.js';

export function serverFactoryFor(config: Config): (handler: RequestListener) => Server {
  return (handler) => {
    const server = createServer(
      {
        keepAliveTimeout: config.keepAliveTimeoutMs,
        headersTimeout: config.headersTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        // How often Node checks the two timeouts above; the default (30 s) lets a slow client
        // hold a socket far longer than HEADERS_TIMEOUT_MS.
        connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
        // Node would answer a request without Host with an empty 400; error-handling.ts answers
        // it in the JSON error shape instead.
        requireHostHeader: false,
      },
      handler,
    );
    server.on('clientError', answerMalformedRequest);
    server.on('connect', answerConnectRequest);
    forwardUnmetExpectations(server, handler);
    return server;
  };
}
