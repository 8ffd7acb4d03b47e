// The README's first command: `make run-server` builds and serves the GET / contract. Run here
// with PORT=0 so the test never collides with something on 8000; the target is otherwise as
// documented.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';
import { parseLogLines } from '../helpers/service.js';
import { requireTool } from '../helpers/tools.js';

// Longer than the runner's 120 s default: it may install dependencies and build first.
test('make run-server builds the service and serves GET /', { timeout: 180_000 }, async (t) => {
  const make = requireTool(t, 'make');
  if (!make) return;
  const child = spawn(make, ['--no-print-directory', 'run-server'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', SHUTDOWN_DELAY_MS: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, so make and node stop together
  });
  t.after(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  });
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no ready line within 120 s:\n${lines.join('\n')}`));
    }, 120_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      lines.push(...chunk.split('\n'));
      const ready = parseLogLines(lines).find((r) => r.msg === 'ready: accepting traffic');
      if (typeof ready?.port === 'number') {
        clearTimeout(timer);
        resolve(ready.port);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`make run-server exited with ${code}:\n${lines.join('\n')}`));
    });
  });
  const body = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as Record<string, unknown>;
  assert.equal(body.status, 'ok');
  assert.equal(body.message, 'Hello World');
  assert.match(String(body.timestamp), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.equal(body.secret, 'N/A');
});
