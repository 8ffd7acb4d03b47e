// The stdout log writer: the lines of one event-loop turn go out in one write, in order, after
// the turn; partial writes and a full non-blocking pipe (EAGAIN) lose nothing; other write errors
// are not swallowed.
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { TurnBatchedWriter, type WriteFn } from '../../src/logging/turn-batched-writer.js';

/** A write function that records what it was given; `behaviour` decides each call's outcome. */
function recordingWrite(behaviour: (call: number, length: number) => number | Error = (_, n) => n) {
  const writes: string[] = [];
  let calls = 0;
  const write: WriteFn = (_fd, buffer, offset) => {
    const outcome = behaviour(calls, buffer.length - offset);
    calls += 1;
    if (outcome instanceof Error) throw outcome;
    writes.push(Buffer.from(buffer.subarray(offset, offset + outcome)).toString('utf8'));
    return outcome;
  };
  return { write, writes, calls: () => calls };
}

function errno(code: string): Error {
  return Object.assign(new Error(`write failed: ${code}`), { code });
}

test('the lines of one turn are written together, in order, once the turn ends', async () => {
  const { write, writes } = recordingWrite();
  const writer = new TurnBatchedWriter(1, write);
  writer.write('{"n":1}\n');
  writer.write('{"n":2}\n');
  writer.write('{"n":3,"text":"é ✓"}\n');
  assert.deepEqual(writes, [], 'nothing is written during the turn');
  await nextTurn();
  assert.deepEqual(writes, ['{"n":1}\n{"n":2}\n{"n":3,"text":"é ✓"}\n']);
  writer.write('{"n":4}\n');
  await nextTurn();
  assert.equal(writes[1], '{"n":4}\n', 'a later turn gets its own write');
  assert.equal(writes.length, 2);
});

test('flushSync writes what is pending at once, and nothing when nothing is', () => {
  const { write, writes, calls } = recordingWrite();
  const writer = new TurnBatchedWriter(1, write);
  writer.flushSync();
  assert.equal(calls(), 0);
  writer.write('last words\n');
  writer.flushSync();
  assert.deepEqual(writes, ['last words\n']);
});

test('a partial write is continued from where it stopped', () => {
  // The kernel takes at most 5 bytes per call.
  const { write, writes } = recordingWrite((_, remaining) => Math.min(5, remaining));
  const writer = new TurnBatchedWriter(1, write);
  writer.write('0123456789abc\n');
  writer.flushSync();
  assert.deepEqual(writes, ['01234', '56789', 'abc\n']);
});

test('a full non-blocking pipe (EAGAIN) is waited for, not dropped', () => {
  const { write, writes, calls } = recordingWrite((call, remaining) =>
    call < 3 ? errno('EAGAIN') : remaining,
  );
  const writer = new TurnBatchedWriter(1, write);
  writer.write('kept\n');
  writer.flushSync();
  assert.equal(calls(), 4);
  assert.deepEqual(writes, ['kept\n']);
});

test('any other write error reaches the caller', () => {
  const { write } = recordingWrite(() => errno('EBADF'));
  const writer = new TurnBatchedWriter(1, write);
  writer.write('lost\n');
  assert.throws(() => {
    writer.flushSync();
  }, /EBADF/);
});
