// The GET / timestamp: "YYYY-MM-DD HH:MM:SS" at a fixed offset, reused within its second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLocalTimestamp } from '../../src/routes/root-timestamp.js';

const at = (iso: string) => new Date(iso);

test('formats local time at the offset, across day and year boundaries', () => {
  assert.equal(formatLocalTimestamp(at('2026-12-31T23:59:59.999Z'), 0), '2026-12-31 23:59:59');
  assert.equal(formatLocalTimestamp(at('2026-12-31T23:59:59.999Z'), 330), '2027-01-01 05:29:59');
  assert.equal(formatLocalTimestamp(at('2026-01-01T00:00:00.000Z'), -60), '2025-12-31 23:00:00');
});

test('within one second the answer is the same; a new second or offset gives a new one', () => {
  assert.equal(formatLocalTimestamp(at('2026-11-27T03:04:05.001Z'), 0), '2026-11-27 03:04:05');
  assert.equal(formatLocalTimestamp(at('2026-11-27T03:04:05.999Z'), 0), '2026-11-27 03:04:05');
  assert.equal(formatLocalTimestamp(at('2026-11-27T03:04:05.999Z'), 60), '2026-11-27 04:04:05');
  assert.equal(formatLocalTimestamp(at('2026-11-27T03:04:06.000Z'), 60), '2026-11-27 04:04:06');
  assert.equal(formatLocalTimestamp(at('1969-12-31T23:59:59.500Z'), 0), '1969-12-31 23:59:59');
});
