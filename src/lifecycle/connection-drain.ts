// The close step of the drain, done so that nothing the kernel accepted is dropped.
//
// Node's http server.close() drops requests in two ways. It calls closeIdleConnections() first,
// and Node counts as idle every connection whose parser is not inside a message, which includes
// a connection accepted a moment ago whose request is still unread in the socket buffer
// (lib/_http_server.js: httpServerPreClose, closeIdleConnections; ConnectionsList::Idle in
// src/node_http_parser.cc): destroying it resets a request the client has already sent. And
// closing a listening socket resets every connection still in the kernel's accept queue
// (Linux: inet_csk_listen_stop), whose clients have usually sent their request too. During the
// drain every answer says Connection: close, so clients are always on new connections, and a
// client that ignores readiness reconnects the moment it gets an answer: seen here, one reset
// for almost every such client at the cut-over.
//
// So the close step:
// 1. holds every answer (lifecycle-state.ts) until the listener is closed: a client waiting for
//    an answer opens no new connection;
// 2. waits until no connection has been accepted for QUIET_MS (at most MAX_HOLD_MS, for clients
//    that connect without waiting for answers), then closes the listener right after the event
//    loop's next poll phase, which accepts whatever is still queued (libuv accepts until EAGAIN);
//    a connection attempt after that is refused by the kernel before the client sends anything;
// 3. releases the answers; after one more turn (requests already buffered are read), closes the
//    connections that have answered a request and have none in progress: the really idle ones;
// 4. gives connections that have not sent a request yet FIRST_REQUEST_GRACE_MS to send one (it
//    is answered with Connection: close, then Node closes the connection), then closes them too;
//    never more than half the shutdown timeout, so a silent connection cannot overrun it.
// What remains is a connection whose handshake completes in the microseconds between the last
// accept and the close; test/reliability/zero-loss-shutdown.test.ts shows none with a client
// that reconnects after every answer.
import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Lifecycle } from './lifecycle-state.js';

/** A gap between accepted connections this long means the clients stopped reconnecting. */
const QUIET_MS = 25;
/** Answers are held at most this long, even if connections keep coming. */
const MAX_HOLD_MS = 250;
/**
 * How long a connection accepted before the listener closed may take to send its first request.
 * A client sends right after its handshake, so this is far more than a request needs to arrive;
 * a pre-opened connection that stays silent longer is closed.
 */
export const FIRST_REQUEST_GRACE_MS = 1000;

interface ConnectionState {
  requests: number;
}

/** Node's response on a socket while a request on it is being answered (lib/_http_server.js). */
function hasResponseInProgress(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: unknown })._httpMessage != null;
}

export class ConnectionDrain {
  readonly #open = new Map<Socket, ConnectionState>();

  constructor(
    private readonly server: Server,
    private readonly lifecycle: Lifecycle,
  ) {
    server.on('connection', (socket: Socket) => {
      this.#open.set(socket, { requests: 0 });
      socket.once('close', () => this.#open.delete(socket));
    });
    server.on('request', (request: { socket: Socket }) => {
      const state = this.#open.get(request.socket);
      if (state) state.requests += 1;
    });
  }

  /**
   * Stops accepting and resolves once every connection has closed. The caller's deadline
   * (`timeoutMs`, then closeAll) bounds how long that may take.
   */
  async close(timeoutMs: number): Promise<void> {
    let release = (): void => undefined;
    this.lifecycle.holdAnswersUntil(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    await this.#noNewConnectionsFor(QUIET_MS, MAX_HOLD_MS);
    // From a timer callback, the next check phase comes right after this turn's poll phase.
    await nextTurn();
    const closed = new Promise<void>((resolve) => {
      // net.Server's close, not http.Server's, which would destroy unread new connections.
      NetServer.prototype.close.call(this.server, () => {
        resolve();
      });
    });
    release();
    await nextTurn();
    this.#closeIdle(false);
    const grace = setTimeout(
      () => {
        this.#closeIdle(true);
      },
      Math.min(FIRST_REQUEST_GRACE_MS, timeoutMs / 2),
    );
    await closed;
    clearTimeout(grace);
  }

  /** Destroys every connection, answered or not (the shutdown timeout). */
  closeAll(): void {
    for (const socket of this.#open.keys()) socket.destroy();
  }

  #noNewConnectionsFor(quietMs: number, atMostMs: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = Date.now() + atMostMs;
      const finish = () => {
        this.server.off('connection', restart);
        resolve();
      };
      let timer = setTimeout(finish, quietMs);
      const restart = () => {
        clearTimeout(timer);
        timer = setTimeout(finish, Math.max(0, Math.min(quietMs, deadline - Date.now())));
      };
      this.server.on('connection', restart);
    });
  }

  #closeIdle(includeUnused: boolean): void {
    for (const [socket, state] of this.#open) {
      // Still answering, or already closing after a Connection: close answer: Node ends it.
      if (hasResponseInProgress(socket) || socket.writableEnded || socket.writableLength > 0)
        continue;
      if (state.requests > 0 || includeUnused) socket.destroy();
    }
  }
}
