// Raw bytes on a new connection, for requests no HTTP client would send: resolves with whatever
// the server wrote once it has closed the connection. `halfClose` ends our side after the bytes
// (the server then knows no more is coming); without it the connection stays open, as for a
// client that is slow to finish its request. A reset after the server answered counts as closed.
import { connect } from 'node:net';

interface RawOptions {
  halfClose?: boolean;
  /** Fails when the server has neither answered nor closed by then (default 10 s). */
  timeoutMs?: number;
}

export function sendRaw(
  port: number,
  bytes: string | Buffer,
  { halfClose = false, timeoutMs = 10_000 }: RawOptions = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      if (halfClose) socket.end(bytes);
      else socket.write(bytes);
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy(new Error(`the server neither answered nor closed within ${timeoutMs} ms`));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') resolve(Buffer.concat(chunks));
      else reject(error);
    });
    socket.on('close', () => {
      resolve(Buffer.concat(chunks));
    });
  });
}
