// request.log is made lazily: a request that logs nothing but its access line never builds a
// pino child, and one that does log gets the same lines, request id included, as before.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino, type Logger } from 'pino';
import { LazyRequestLogger } from '../../src/logging/lazy-request-logger.js';
import { buildApp } from '../../src/app.js';
import { appWithLogs, testConfig } from '../helpers/app.js';

/** A pino logger writing parsed records to an array, counting the children made from it. */
function capturingLogger(level = 'trace') {
  const records: Record<string, unknown>[] = [];
  const logger = pino(
    { level, base: { service: 'test' }, timestamp: false },
    {
      write(line: string) {
        records.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  let children = 0;
  // pino children inherit from their parent object, so this counts children of children too.
  const makeChild = Object.getPrototypeOf(logger) as Pick<Logger, 'child'>;
  logger.child = function countedChild(this: Logger, ...args: Parameters<Logger['child']>) {
    children += 1;
    return makeChild.child.apply(this, args);
  } as Logger['child'];
  return { logger, records, children: () => children };
}

test('no child logger is made until something is logged, then exactly one', () => {
  const { logger, records, children } = capturingLogger();
  const requestLog = new LazyRequestLogger(logger, { reqId: 'req-1' }, {});
  assert.equal(requestLog.level, 'trace', 'reading the level needs no child');
  assert.equal(children(), 0);

  requestLog.error({ code: 1 }, 'one');
  requestLog.warn('two');
  requestLog.info('three');
  requestLog.debug('four');
  requestLog.trace('five');
  requestLog.fatal('six');
  requestLog.silent('never written');
  assert.equal(children(), 1);
  assert.deepEqual(
    records.map((r) => [r.level, r.msg, r.reqId]),
    [
      [50, 'one', 'req-1'],
      [40, 'two', 'req-1'],
      [30, 'three', 'req-1'],
      [20, 'four', 'req-1'],
      [10, 'five', 'req-1'],
      [60, 'six', 'req-1'],
    ],
  );
  assert.equal(records[0]?.code, 1);
});

test('setting the level applies to this request only; child() keeps the request id', () => {
  const { logger, records } = capturingLogger('info');
  const requestLog = new LazyRequestLogger(logger, { reqId: 'req-2' }, {});
  requestLog.level = 'debug';
  requestLog.debug('seen');
  assert.equal(logger.level, 'info', 'the app logger is untouched');
  requestLog.child({ step: 'inner' }).info('nested');
  assert.deepEqual(
    records.map((r) => [r.msg, r.reqId, r.step]),
    [
      ['seen', 'req-2', undefined],
      ['nested', 'req-2', 'inner'],
    ],
  );
});

test('in the app, a request that only writes its access line builds no child logger', async (t) => {
  const { logger, records, children } = capturingLogger('info');
  const app = await buildApp(testConfig(), { logger });
  t.after(() => app.close());
  await app.ready();
  app.lifecycle.markReady();
  const before = children();
  await app.inject({ url: '/', headers: { 'x-request-id': 'plain-1' } });
  assert.equal(children() - before, 0);
  const access = records.filter((r) => r.msg === 'request completed');
  assert.deepEqual(
    access.map((r) => [r.reqId, r.route, r.statusCode]),
    [['plain-1', '/', 200]],
  );
});

test('in the app, an error logged for a request carries its id like its access line', async (t) => {
  const { app, records } = await appWithLogs(t, { FAULT_ERROR_RATE: '1' });
  await app.inject({ url: '/', headers: { 'x-request-id': 'err-1' } });
  const lines = records().filter((r) => r.reqId === 'err-1');
  assert.deepEqual(
    lines.map((r) => r.msg),
    ['request failed', 'request completed'],
  );
});
