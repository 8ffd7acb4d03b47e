// One GET on a new TCP connection, over a plain socket so nothing is retried or pooled, timed from
// the connect() call to the last byte of the answer, and classified the way a client experiences
// it: answered, refused (the listener was gone: nothing was sent), or failed once the
// connection was open, before or after the request was written (what a drain must never do).
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

export type FreshOutcome =
  | { kind: 'answered'; status: number; connectionClose: boolean; ms: number }
  | { kind: 'refused' }
  | { kind: 'failed before sending' | 'failed after sending'; error: string };

const HEAD_END = '\r\n\r\n';

export function getOnFreshConnection(port: number, path: string): Promise<FreshOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    let sent = false;
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: FreshOutcome) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      sent = true;
    });
    socket.setTimeout(20_000, () => {
      settle({ kind: 'failed after sending', error: 'no answer within 20 s' });
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('latin1');
      const headEnd = text.indexOf(HEAD_END);
      if (headEnd === -1) return;
      const head = text.slice(0, headEnd);
      const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (received.length < headEnd + HEAD_END.length + length) return;
      settle({
        kind: 'answered',
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        connectionClose: /^connection:\s*close/im.test(head),
        ms: performance.now() - started,
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const kind = sent ? 'failed after sending' : 'failed before sending';
      if (!sent && error.code === 'ECONNREFUSED') settle({ kind: 'refused' });
      else settle({ kind, error: error.code ?? error.message });
    });
    socket.on('close', () => {
      const kind = sent ? 'failed after sending' : 'failed before sending';
      settle({ kind, error: 'closed before a whole answer' });
    });
  });
}
