// GET /: the original contract (status, message, timestamp at TIMEZONE_OFFSET, secret) without
// ever returning the secret's value.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { appFor } from '../helpers/app.js';

const FIXED_NOW = new Date('2026-01-31T22:45:10.500Z');

test('GET / keeps the seed contract and adds environment, version and hostname', async (t) => {
  const app = await appFor(t, { APP_ENV: 'dev' }, { now: () => FIXED_NOW });
  const response = await app.inject('/');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), {
    status: 'ok',
    message: 'Hello World',
    timestamp: '2026-02-01 04:15:10', // +05:30 by default, across a month boundary
    secret: 'N/A',
    environment: 'dev',
    version: '1.2.3',
    hostname: hostname(),
  });
});

test('GET / uses GREETING and a negative TIMEZONE_OFFSET', async (t) => {
  const app = await appFor(
    t,
    { GREETING: 'Bonjour', TIMEZONE_OFFSET: '-03:30' },
    { now: () => FIXED_NOW },
  );
  const body = (await app.inject('/')).json<{ message: string; timestamp: string }>();
  assert.equal(body.message, 'Bonjour');
  assert.equal(body.timestamp, '2026-01-31 19:15:10');
});

test('GET / says the secret is configured but never returns it', async (t) => {
  const app = await appFor(t, { SECRET_MESSAGE: 's3cr3t-value-xyz' });
  const response = await app.inject('/');
  assert.equal(response.json<{ secret: string }>().secret, 'configured');
  assert.ok(!response.body.includes('s3cr3t-value-xyz'));
});
