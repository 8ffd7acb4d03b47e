// Raw HTTP/1.1 exchanges on a plain socket, for requests an HTTP client would normalise or refuse
// to send (two Host lines, CONNECT, an Expect it does not know, a bad Host): writes the bytes,
// collects everything until the server closes, and splits it into answers. The socket is not
// half-closed: Node's server aborts a request still in progress when the client ends its side,
// so the last request must say `Connection: close` for the server to close.
import { connect } from 'node:net';
import { parseRawAnswers } from './reliability-fuzz.js';

export type RawAnswer = ReturnType<typeof parseRawAnswers>[number];

/** Sends `text` (lines joined with CRLF by the caller) and returns the answers, in order. */
export function rawExchange(port: number, text: string, timeoutMs = 10_000): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(text);
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy(new Error(`no answer and no close within ${timeoutMs} ms`));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseRawAnswers(Buffer.concat(chunks), JSON.stringify(text.slice(0, 60))));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** One request: method, target and header lines, CRLF-terminated, with an optional body. */
export function requestText(head: string, headers: readonly string[], body = ''): string {
  return [head, ...headers, '', body].join('\r\n');
}
