// The Node.js ceiling for `make bench`: a bare node:http server that answers GET / with the same
// JSON as the service (same fields, a fresh timestamp per request) and does nothing else: no
// framework, no metrics, no logging, no security headers. Whatever the service does beyond this
// is what the bench ratio measures. Usage: PORT=NNNN node --import tsx scripts/bench/bare-server.ts
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { loadConfig } from '../../src/config.js';
import { formatLocalTimestamp } from '../../src/routes/root-timestamp.js';

const config = loadConfig(process.env, '1.0.0');
const host = hostname();
const secret = config.secretMessage === '' ? 'N/A' : 'configured';

const server = createServer((request, response) => {
  if (request.method !== 'GET' || request.url !== '/') {
    response.writeHead(404).end();
    return;
  }
  const body = JSON.stringify({
    status: 'ok',
    message: config.greeting,
    timestamp: formatLocalTimestamp(new Date(), config.timezoneOffsetMinutes),
    secret,
    environment: config.appEnv,
    version: config.build.version,
    hostname: host,
  });
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
});

server.keepAliveTimeout = config.keepAliveTimeoutMs;
server.listen(config.port, config.host);
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
