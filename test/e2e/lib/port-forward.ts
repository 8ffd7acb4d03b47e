// `kubectl port-forward` to a Service that has no NodePort (Grafana, Alertmanager), on a port the
// kernel picks; resolves once kubectl says it forwards, and `close` ends it (call it from after()).
import { spawn } from 'node:child_process';

export interface Forward {
  url: string;
  close(): Promise<void>;
}

export function portForward(
  namespace: string,
  target: string,
  remotePort: number,
  timeoutMs = 30_000,
): Promise<Forward> {
  const child = spawn(
    'kubectl',
    ['-n', namespace, 'port-forward', '--address', '127.0.0.1', target, `:${remotePort}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('close', () => {
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      void close();
      reject(
        new Error(
          `kubectl port-forward ${target} did not start within ${timeoutMs / 1000} s: ${output.trim()}`,
        ),
      );
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // kubectl prints "Forwarding from 127.0.0.1:<local> -> <remote>" once it listens.
      const match = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(output);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${match[1]}`, close });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`kubectl port-forward ${target} exited (${code ?? 'signal'}): ${output.trim()}`),
      );
    });
  });
}
