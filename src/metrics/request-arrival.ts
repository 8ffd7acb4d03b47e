// When a request reached the process, so that its duration includes the time it waited for the
// event loop. Fastify's reply.elapsedTime starts when the parsed request is handed to it; on a
// busy loop a request first waits unread in its socket (or, on a new connection, in the kernel's
// accept queue) until the loop gets to it, and clients see that wait: seen here, 29 ms at p50
// for a client on new connections while elapsedTime said 1-2.5 ms at p99.
//
// Node exposes no arrival time: the HTTP parser reads the socket in C++ and the first thing
// JavaScript sees is the 'connection' or 'request' event, in the loop turn that read it
// (lib/_http_server.js: connectionListenerInternal consumes the socket in the parser; the kernel's
// packet timestamps are not reachable). So the arrival is bounded by turns: bytes handed to us in
// a turn arrived before that turn's poll returned, and after the poll before it, unless the loop
// slept since, in which case they are what woke it. The estimate is the middle of that window,
// the expected arrival of a request that came at a random moment. A loop sleeping shows as a
// change in libuv's idle time (performance.nodeTiming.idleTime, counted while the poll blocks).
//
// Per connection it is sharper: a new connection's first request, read in the turn right after
// the connection was accepted, started when the connection arrived (the client sent it with the
// handshake, so the accept queue's wait counts); a request on a kept-alive connection cannot
// have been sent before the previous answer on it went out.
import { performance } from 'node:perf_hooks';

/** An idle-time increase this large means the poll blocked, not merely returned ready events. */
const SLEPT_MS = 0.1;

/** What the clock reads; tests drive it with explicit values. */
export interface LoopReadings {
  /** Monotonic milliseconds (performance.now()). */
  now(): number;
  /** Milliseconds the loop has spent blocked in its poll so far. */
  idleTime(): number;
  /** Runs `callback` once this turn's I/O callbacks are done (setImmediate: the check phase). */
  atEndOfTurn(callback: () => void): void;
}

const realLoop: LoopReadings = {
  now: () => performance.now(),
  idleTime: () => performance.nodeTiming.idleTime,
  atEndOfTurn: (callback) => setImmediate(callback),
};

/** The event-loop turns in which HTTP work happens, numbered, with their arrival windows. */
export class TurnClock {
  #turn = 0;
  #inTurn = false;
  #start = 0;
  #windowStart = 0;
  #previousStart = 0;
  #idleAtEnd = 0;

  constructor(private readonly loop: LoopReadings = realLoop) {}

  /** Marks HTTP work in the current turn; the first mark of a turn opens it. */
  enter(): void {
    if (this.#inTurn) return;
    this.#inTurn = true;
    this.#turn += 1;
    this.#start = this.loop.now();
    const slept = this.loop.idleTime() - this.#idleAtEnd > SLEPT_MS;
    this.#windowStart = slept ? this.#start : this.#previousStart;
    this.loop.atEndOfTurn(this.#leave);
  }

  readonly #leave = (): void => {
    this.#inTurn = false;
    this.#previousStart = this.#start;
    this.#idleAtEnd = this.loop.idleTime();
  };

  get turn(): number {
    return this.#turn;
  }

  /** When the current turn began: what it reads arrived before this. */
  get start(): number {
    return this.#start;
  }

  /** The earliest a byte read in this turn can have arrived. */
  get windowStart(): number {
    return this.#windowStart;
  }
}

interface ConnectionTiming {
  arrivedAt: number;
  acceptedTurn: number;
  requests: number;
  lastAnswerAt: number;
}

export class RequestArrivals {
  /** Keyed by the request's socket (any object: inject() has its own). */
  readonly #connections = new WeakMap<object, ConnectionTiming>();

  constructor(private readonly clock: TurnClock = new TurnClock()) {}

  /** The server's 'connection' event. */
  connectionAccepted(socket: object): void {
    this.clock.enter();
    this.#connections.set(socket, {
      arrivedAt: (this.clock.windowStart + this.clock.start) / 2,
      acceptedTurn: this.clock.turn,
      requests: 0,
      lastAnswerAt: 0,
    });
  }

  /** Estimated arrival (monotonic ms) of the request whose handling starts now on `socket`. */
  requestStarted(socket: object): number {
    const clock = this.clock;
    clock.enter();
    const connection = this.#connections.get(socket);
    if (connection === undefined) return (clock.windowStart + clock.start) / 2;
    connection.requests += 1;
    if (
      connection.requests === 1 &&
      clock.turn <= connection.acceptedTurn + 1 &&
      clock.windowStart < clock.start
    ) {
      return connection.arrivedAt;
    }
    const earliest = Math.max(clock.windowStart, connection.lastAnswerAt);
    return (earliest + clock.start) / 2;
  }

  /** The answer on `socket` has been handed to the kernel (onResponse). */
  answerFinished(socket: object, at: number): void {
    const connection = this.#connections.get(socket);
    if (connection !== undefined) connection.lastAnswerAt = at;
  }
}
