// The arrival estimate behind http_request_duration_seconds (src/metrics/request-arrival.ts),
// driven turn by turn with explicit clock and idle-time readings, so each case is exact: after
// the loop slept, what a turn reads arrived when it woke; after a busy turn, in the middle of it;
// a new connection's first request counts from the connection's arrival; a kept-alive request
// never from before the previous answer. test/reliability/latency-under-load.test.ts checks the
// real thing against an independent client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  RequestArrivals,
  TurnClock,
  type LoopReadings,
} from '../../src/metrics/request-arrival.js';

/** A loop whose time and idle time the test sets, and whose turn ends when the test says so. */
class ScriptedLoop implements LoopReadings {
  time = 0;
  idle = 0;
  #endOfTurn: (() => void) | undefined;
  now = () => this.time;
  idleTime = () => this.idle;
  atEndOfTurn = (callback: () => void) => {
    this.#endOfTurn = callback;
  };
  /** The check phase: the current turn's I/O is done. */
  endTurn(): void {
    const callback = this.#endOfTurn;
    this.#endOfTurn = undefined;
    callback?.();
  }
  /** The loop blocks in its poll for `ms`, then wakes at `time + ms`. */
  sleep(ms: number): void {
    this.time += ms;
    this.idle += ms;
  }
  /** The loop runs without blocking for `ms` (I/O callbacks, timers). */
  work(ms: number): void {
    this.time += ms;
  }
}

/** A connection's identity is all the estimate keeps of its socket. */
const socket = (): object => ({});

/** An idle loop, and a connection it accepted in a turn that has ended. */
function setup(): { loop: ScriptedLoop; arrivals: RequestArrivals; connection: object } {
  const loop = new ScriptedLoop();
  loop.sleep(1000);
  const arrivals = new RequestArrivals(new TurnClock(loop));
  const connection = socket();
  arrivals.connectionAccepted(connection);
  loop.endTurn();
  return { loop, arrivals, connection };
}

test('after the loop slept, a request read in a turn arrived when that turn began', () => {
  const { loop, arrivals, connection } = setup();
  loop.sleep(3); // the request's bytes wake the loop
  const woke = loop.time;
  assert.equal(arrivals.requestStarted(connection), woke);
});

test('after a busy turn, a request arrived in the middle of it: the expected wait', () => {
  const { loop, arrivals, connection } = setup();
  loop.sleep(1);
  arrivals.requestStarted(connection); // turn A: the first request, read at once
  const turnA = loop.time;
  loop.work(20); // turn A answers other connections for 20 ms; the loop never blocks after it
  arrivals.answerFinished(connection, turnA + 0.1);
  loop.endTurn();
  loop.work(0.05); // the next poll returns ready events at once
  const turnB = loop.time;
  assert.equal(arrivals.requestStarted(connection), (turnA + 0.1 + turnB) / 2);
});

test('a kept-alive request is never counted from before the previous answer on its connection', () => {
  const { loop, arrivals, connection } = setup();
  loop.sleep(1);
  arrivals.requestStarted(connection);
  const turnA = loop.time;
  loop.work(30);
  arrivals.answerFinished(connection, turnA + 29); // answered at the end of the busy turn
  loop.endTurn();
  loop.work(0.05);
  const turnB = loop.time;
  const estimate = arrivals.requestStarted(connection);
  assert.ok(estimate >= turnA + 29, `estimated ${estimate}, before the answer at ${turnA + 29}`);
  assert.equal(estimate, (turnA + 29 + turnB) / 2);
});

test("a new connection's first request counts from the connection's arrival, the accept queue included", () => {
  const { loop, arrivals, connection: other } = setup();
  loop.sleep(1);
  arrivals.requestStarted(other); // a busy turn begins with another connection's request
  const busyTurn = loop.time;
  loop.work(24);
  loop.endTurn();
  loop.work(0.05);
  const acceptTurn = loop.time; // the new connection queued during the busy turn is accepted
  const fresh = socket();
  arrivals.connectionAccepted(fresh);
  loop.work(10);
  loop.endTurn();
  loop.work(0.05); // its request is read in the next turn, the loop still busy
  const connectionArrival = (busyTurn + acceptTurn) / 2;
  assert.equal(arrivals.requestStarted(fresh), connectionArrival);
  assert.ok(
    loop.time - connectionArrival > 10 + 12,
    'the wait in the accept queue and behind the accepting turn are both counted',
  );
});

test('a new connection that sends its first request only later is timed from that request', () => {
  const { loop, arrivals, connection: preopened } = setup();
  loop.sleep(5000); // a pre-opened connection idles: nothing to read
  const readTurn = loop.time;
  assert.equal(arrivals.requestStarted(preopened), readTurn);
});

test('within one turn every request shares its start, and the next turn opens a new window', () => {
  const { loop, arrivals } = setup();
  const [a, b] = [socket(), socket()];
  arrivals.connectionAccepted(a);
  arrivals.connectionAccepted(b);
  loop.endTurn();
  loop.sleep(2);
  const start = loop.time;
  const first = arrivals.requestStarted(a);
  loop.work(5);
  assert.equal(arrivals.requestStarted(b), first, 'same turn, same arrival window');
  assert.equal(first, start);
  loop.endTurn();
  loop.sleep(2);
  assert.equal(arrivals.requestStarted(a), loop.time);
});

test('requests without a tracked connection (inject) get the turn estimate', () => {
  const { loop, arrivals } = setup();
  assert.equal(arrivals.requestStarted(socket()), loop.time);
});
