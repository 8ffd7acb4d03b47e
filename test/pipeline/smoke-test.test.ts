// scripts/smoke-test.ts against the real service: passes on the right commit, fails on another
// commit, on a draining service and on a closed port, each within its deadline, with one line.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { startService, type RunningService } from '../helpers/service.js';

const SMOKE = ['--import', 'tsx', 'scripts/smoke-test.ts'];

function smoke(args: string[]) {
  return run(process.execPath, [...SMOKE, ...args], { cwd: REPO_ROOT, timeoutMs: 60_000 });
}

/** A port nobody listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object', 'no TCP address');
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return address.port;
}

describe('smoke test', { concurrency: true }, () => {
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { GIT_COMMIT: 'abc123' } });
  });
  after(async () => {
    await service.stop('SIGKILL');
  });

  test('passes against the running service reporting the expected commit', async () => {
    const result = await smoke(['--url', service.url, '--commit', 'abc123', '--deadline', '20']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one verdict line');
    assert.match(lines[0] ?? '', /^smoke test PASSED: .*healthz, readyz, root, metrics, version/);
  });

  test('fails when /version reports another commit, saying which', async () => {
    // Long enough for a loaded machine's first answer; a wrong commit waits it out anyway.
    const result = await smoke(['--url', service.url, '--commit', 'def456', '--deadline', '15']);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout.trim(),
      /^smoke test FAILED: .*commit is "abc123", expected "def456"/,
    );
  });

  test('fails against a closed port within its deadline', async () => {
    const port = await closedPort();
    const started = Date.now();
    const result = await smoke(['--url', `http://127.0.0.1:${port}`, '--deadline', '5']);
    const wallSeconds = (Date.now() - started) / 1000;
    assert.equal(result.code, 1);
    const verdict = result.stdout.trim();
    assert.match(verdict, /^smoke test FAILED: .*\/healthz: .*ECONNREFUSED/);
    const took = Number(/in ([\d.]+) s/.exec(verdict)?.[1]);
    // The last request may overrun the deadline by its own short timeout, never by more.
    assert.ok(took >= 4.9 && took <= 6.5, `checked for ${took} s, deadline 5 s`);
    // Process start-up (tsx) comes on top; the process must still end promptly.
    assert.ok(wallSeconds < 30, `took ${wallSeconds} s in all`);
  });

  test('rejects a missing or malformed URL with exit code 2 and one line', async () => {
    const result = await smoke(['--url', 'not-a-url']);
    assert.equal(result.code, 2);
    assert.match(result.stderr.trim(), /^smoke-test: --url\/SMOKE_URL must be an http\(s\) URL/);
  });

  test('fails while the service is draining (readiness 503)', async () => {
    const draining = await startService({
      env: { GIT_COMMIT: 'abc123', SHUTDOWN_DELAY_MS: '30000', SHUTDOWN_TIMEOUT_MS: '40000' },
    });
    try {
      draining.process.kill('SIGTERM');
      // Wait for the real condition: readiness flips to 503 when shutdown starts.
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await fetch(`${draining.url}/readyz`)).status;
        if (status === 503) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(status, 503, 'service never reported draining');
      const result = await smoke(['--url', draining.url, '--commit', 'abc123', '--deadline', '10']);
      assert.equal(result.code, 1);
      assert.match(result.stdout.trim(), /^smoke test FAILED: .*\/readyz: HTTP 503/);
    } finally {
      await draining.stop('SIGKILL');
    }
  });
});
