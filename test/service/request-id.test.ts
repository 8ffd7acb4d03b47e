// Request ids: a valid x-request-id is kept and echoed, anything else replaced by a new UUID.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appFor } from '../helpers/app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a valid x-request-id is echoed back', async (t) => {
  const app = await appFor(t);
  const response = await app.inject({ url: '/', headers: { 'x-request-id': 'trace-42.abc:1' } });
  assert.equal(response.headers['x-request-id'], 'trace-42.abc:1');
});

test('a missing or unsafe x-request-id is replaced by a generated UUID', async (t) => {
  const app = await appFor(t);
  for (const supplied of [undefined, '', 'has spaces', 'x'.repeat(129), '<script>']) {
    const headers: Record<string, string> =
      supplied === undefined ? {} : { 'x-request-id': supplied };
    const response = await app.inject({ url: '/nope', headers });
    const id = String(response.headers['x-request-id']);
    assert.match(id, UUID, `for ${JSON.stringify(supplied)}`);
    assert.equal(response.json<{ requestId: string }>().requestId, id);
  }
});
