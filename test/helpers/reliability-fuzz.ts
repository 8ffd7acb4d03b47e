// Hostile-input generators for the fuzz test: a seeded random source (so a failure reproduces
// from its seed), well-formed-but-hostile requests for an HTTP client, and malformed raw request
// bytes for a plain socket, plus the check every answer must pass.

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs task(0) .. task(count - 1), `concurrency` at a time. */
export async function inParallel(
  concurrency: number,
  count: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await task(index);
      }
    }),
  );
}

export class Picker {
  constructor(readonly random: () => number) {}
  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  one<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('Picker.one: empty list');
    return item;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const NUMBERS = [
  '0',
  '1',
  '5',
  '-1',
  '1.5',
  '1e3',
  '0x10',
  'abc',
  '',
  'NaN',
  'Infinity',
  '9'.repeat(30),
];
const ENCODINGS = [
  '%41',
  '%zz',
  '%',
  '%%',
  '%c0%af',
  '%00',
  '%2e%2e%2f',
  '%ff%fe',
  '%E2%82%AC',
  '%0d%0a',
];
const SEGMENTS = ['x', '..', '.', '', 'docs', 'static', 'index.html', '__proto__', 'constructor'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'foo/bar',
  'application/json;;;',
];
const JSON_BODIES = [
  '{',
  '{"errorRate":',
  'null',
  '[]',
  '"text"',
  '{"errorRate":"x"}',
  '{"errorRate":2}',
  '{"errorRate":-0.5}',
  '{"latencyMs":-1}',
  '{"latencyMs":100000}',
  '{"latencyMs":1.5}',
  '{"extra":true}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '{"errorRate":0.2}', // valid: turns on injected 500s on / and /work, which the check allows
  '\u0000\u0001',
];

function fuzzPath(pick: Picker, delayMax: number): string {
  const base = pick.one([
    '/',
    '/healthz',
    '/readyz',
    '/metrics',
    '/version',
    '/docs',
    '/docs/',
    '/docs/json',
    '/docs/static/index.html',
    '/openapi.json',
    '/work',
    '/faults',
    `/status/${pick.chance(0.6) ? String(100 + pick.int(600)) : pick.one(NUMBERS)}`,
    // Only small valid delays, so the run stays short: DELAY_MAX_SECONDS is small in the test.
    `/delay/${pick.chance(0.3) ? String(Math.min(delayMax, 0.01)) : pick.one(NUMBERS)}`,
    `/${pick.one(SEGMENTS)}`,
  ]);
  let path = base;
  const mutations = pick.int(3);
  for (let i = 0; i < mutations; i += 1) {
    const kind = pick.int(5);
    if (kind === 0) path += `/${pick.one(SEGMENTS)}`;
    else if (kind === 1) path += pick.one(ENCODINGS);
    else if (kind === 2) path = `/${path}`;
    else if (kind === 3) path += 'a'.repeat(pick.int(5000));
    else path += '/';
  }
  const query = pick.int(6);
  if (query === 1) path += `?ms=${pick.one(NUMBERS)}`;
  else if (query === 2) path += `?ms=${pick.one(NUMBERS)}&ms=${pick.one(NUMBERS)}`;
  else if (query === 3) path += `?${pick.one(ENCODINGS)}=${pick.one(ENCODINGS)}&__proto__[x]=1`;
  else if (query === 4) path += `?q=${'b'.repeat(pick.int(3000))}`;
  return path;
}

interface FuzzLimits {
  bodyLimit: number;
  delayMax: number;
  /** The service's FAULT_TOKEN, sent now and then so PUT /faults gets past its check. */
  faultToken: string;
}

/** A request an HTTP client can send, but with hostile paths, queries, headers and bodies. */
export function fuzzRequest(pick: Picker, limits: FuzzLimits) {
  const method = pick.one(METHODS);
  const headers: Record<string, string> = {};
  if (pick.chance(0.5)) headers['content-type'] = pick.one(CONTENT_TYPES);
  if (pick.chance(0.3)) {
    headers['x-request-id'] = pick.one(['abc-123', 'x'.repeat(500), 'a b', '../../etc', '']);
  }
  if (pick.chance(0.2)) headers.origin = pick.one(['https://evil.example', 'null', 'http://x']);
  if (pick.chance(0.2)) headers['access-control-request-method'] = pick.one(['PUT', 'DELETE']);
  if (pick.chance(0.1)) headers['x-padding'] = 'p'.repeat(pick.int(12_000));
  if (pick.chance(0.1)) headers.accept = pick.one(['*/*', 'text/html', 'application/xml', '']);
  if (pick.chance(0.1)) headers['accept-encoding'] = pick.one(['gzip', 'br', 'identity;q=0']);
  if (pick.chance(0.4)) {
    headers.authorization = pick.one([
      `Bearer ${limits.faultToken}`,
      `Bearer ${limits.faultToken}`,
      `bearer ${limits.faultToken}`,
      `Bearer ${limits.faultToken.slice(1)}`,
      'Bearer',
      'Bearer a b',
      'Bearer ====',
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      'x'.repeat(3000),
    ]);
  }
  if (pick.chance(0.1)) {
    headers['content-encoding'] = pick.one(['gzip', 'identity', 'br, gzip', 'x-unknown', '']);
  }
  const request: FuzzRequest = { method, path: fuzzPath(pick, limits.delayMax), headers };
  // A share of authenticated writes to the one route that reads a body, so body parsing (bad
  // JSON, unknown fields, oversized and coded bodies, odd media types) is reached: any other
  // request is answered before its body is read.
  if (pick.chance(0.15)) {
    request.method = 'PUT';
    request.path = '/faults';
    headers.authorization = `Bearer ${limits.faultToken}`;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD' && pick.chance(0.8)) {
    const kind = pick.int(4);
    if (kind === 0) request.body = pick.bytes(pick.int(2000));
    else if (kind === 1) request.body = 'x'.repeat(limits.bodyLimit + 1 + pick.int(1000));
    else request.body = pick.one(JSON_BODIES);
  }
  return request;
}

const RAW_TEMPLATES: readonly ((pick: Picker) => string | Buffer)[] = [
  () => 'GET\r\n\r\n',
  () => 'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n',
  () => 'G=T / HTTP/1.1\r\nHost: x\r\n\r\n',
  () => 'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
  () => 'GET / HTTP/1.1\nHost: x\n\n',
  () => 'GET / HTTP/1.1\r\n\r\n', // no Host
  () => 'GET / HTTP/1.0\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\nFoo\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost : x\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\nBad\u0001Name: v\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
  (pick) => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000 + pick.int(20_000))}\r\n\r\n`,
  () =>
    `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `H${i}: v`).join('\r\n')}\r\n\r\n`,
  () => 'PUT /faults HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
  () =>
    'PUT /faults HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  () =>
    'PUT /faults HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  () => 'PUT /faults HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  () => 'PUT /faults HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  () =>
    'PUT /faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"errorRate":',
  () =>
    'PUT /faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}',
  () => 'GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n',
  () => 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  () => 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
  () => 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET / HTTP/1.1\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\nhost: x\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x/../y\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n',
  () =>
    'PUT /faults HTTP/1.1\r\nHost: x\r\nExpect: 100-continue, 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
  () =>
    'PUT /faults HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
  () => 'TRACE / HTTP/1.1\r\nHost: x\r\n\r\n',
  () => 'DELETE /faults HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
  () => 'GET /status/0x1f4 HTTP/1.1\r\nHost: x\r\n\r\nGET /work?ms=1e1 HTTP/1.1\r\nHost: x\r\n\r\n',
  () => 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n',
  () =>
    Buffer.concat([
      Buffer.from('GET /'),
      Buffer.from([0xff, 0xfe, 0x7f]),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
    ]),
  () => 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  () => 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n',
  (pick) => pick.bytes(1 + pick.int(300)),
  (pick) => `GET /${pick.one(ENCODINGS)}${pick.one(ENCODINGS)} HTTP/1.1\r\nHost: x\r\n\r\n`,
];

/** Raw bytes of a malformed (or barely well-formed) HTTP/1.1 request. */
export function rawRequest(pick: Picker): string | Buffer {
  return pick.one(RAW_TEMPLATES)(pick);
}

interface Answer {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const ERROR_KEYS = ['error', 'message', 'requestId', 'statusCode'];

/** The path an HTTP client sends for `path`: dot segments resolved, query string dropped. */
function sentPath(path: string): string {
  try {
    return new URL(path, 'http://x').pathname;
  } catch {
    return path.split('?', 1)[0] ?? '';
  }
}

/**
 * Returns what is wrong with an answer, or undefined when it is acceptable: no 5xx except the
 * deliberate ones (/status/5xx, the injected error rate), and every error body in the one JSON
 * error shape whose requestId matches the x-request-id header.
 */
export function answerProblem(answer: Answer): string | undefined {
  const where = `${answer.method} ${answer.path.slice(0, 120)} -> ${answer.status}`;
  let json: unknown;
  if (answer.body !== '') {
    const type = String(answer.headers['content-type'] ?? '');
    if (type.includes('json')) {
      try {
        json = JSON.parse(answer.body);
      } catch {
        return `${where}: body claims JSON but does not parse: ${answer.body.slice(0, 200)}`;
      }
    }
  }
  // Every final answer (not a 100 Continue), whichever path produced it (route, error handler,
  // pre-routing error, raw parser error), carries the security headers; /docs has its own policy.
  if (answer.status >= 200) {
    if (answer.headers['x-content-type-options'] !== 'nosniff') {
      return `${where}: answer without the security headers (no x-content-type-options: nosniff)`;
    }
    const policy = String(answer.headers['content-security-policy'] ?? '');
    // The path as sent: an HTTP client resolves dot segments (/x/../docs is /docs).
    const documents = /^\/docs(\/|$)/.test(sentPath(answer.path));
    if (!documents && policy !== "default-src 'none'; frame-ancestors 'none'") {
      return `${where}: answer without the API content security policy: ${JSON.stringify(policy)}`;
    }
  }
  if (answer.status < 400) return undefined;
  if (answer.method === 'HEAD' && answer.body === '') return undefined;
  if (typeof json !== 'object' || json === null) {
    return `${where}: error answer is not the JSON error shape: ${answer.body.slice(0, 200)}`;
  }
  const body = json as Record<string, unknown>;
  if (Object.keys(body).sort().join() !== ERROR_KEYS.join() || body.statusCode !== answer.status) {
    return `${where}: error body has the wrong shape: ${answer.body.slice(0, 200)}`;
  }
  if (body.requestId !== answer.headers['x-request-id']) {
    return `${where}: requestId ${String(body.requestId)} does not match the x-request-id header`;
  }
  if (answer.status >= 500) {
    // /status/5xx and the error rate on purpose; 501 for CONNECT, which an origin server does
    // not implement (RFC 9110 section 9.1).
    const deliberate =
      /^\/status\/5\d\d$/.test(sentPath(answer.path)) ||
      String(body.message).startsWith('Injected fault') ||
      (answer.status === 501 && String(body.message).startsWith('CONNECT is not supported'));
    if (!deliberate) return `${where}: unexpected server error: ${answer.body.slice(0, 200)}`;
  }
  return undefined;
}

/** Splits what a server wrote on one raw connection into answers (Content-Length or chunked). */
export function parseRawAnswers(data: Buffer, label: string): Answer[] {
  const answers: Answer[] = [];
  let rest: Buffer = data;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0)
      throw new Error(`${label}: incomplete answer head: ${rest.toString('latin1')}`);
    const [statusLine = '', ...headerLines] = rest
      .subarray(0, headEnd)
      .toString('latin1')
      .split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
    if (status === undefined) throw new Error(`${label}: not an HTTP answer: ${statusLine}`);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let body: Buffer = rest.subarray(headEnd + 4);
    let next: Buffer = Buffer.alloc(0);
    const code = Number(status);
    if (code < 200 || code === 204 || code === 304) {
      next = body; // no body, whatever the headers say
      body = Buffer.alloc(0);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      next = body.subarray(length);
      body = body.subarray(0, length);
    } else if (headers['transfer-encoding'] === 'chunked') {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = body.indexOf('\r\n');
        const size = parseInt(body.subarray(0, lineEnd).toString('latin1'), 16);
        if (lineEnd < 0 || Number.isNaN(size)) throw new Error(`${label}: bad chunked answer`);
        if (size === 0) {
          next = body.subarray(lineEnd + 4);
          break;
        }
        chunks.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
        body = body.subarray(lineEnd + 2 + size + 2);
      }
      body = Buffer.concat(chunks);
    }
    answers.push({
      method: 'RAW',
      path: label,
      status: Number(status),
      headers,
      body: body.toString('utf8'),
    });
    rest = next;
  }
  return answers;
}
