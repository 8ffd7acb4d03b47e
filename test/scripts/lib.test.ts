// scripts/lib: the helpers every script and test shares (polling with a deadline, executables on
// PATH, whole-number flags, capturing a child process). Each is checked against real timers,
// real files and real processes.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import { findExecutable, findFirstExecutable } from '../../scripts/lib/find-executable.js';
import { tempDirFor } from '../helpers/temp-dir.js';
import { FlagError, integerFlag } from '../../scripts/lib/integer-flag.js';
import { pollUntil } from '../../scripts/lib/poll.js';
import { runCommand } from '../../scripts/lib/run-command.js';

describe('pollUntil', () => {
  test('resolves with the first value that is neither undefined nor false', async () => {
    let attempts = 0;
    const value = await pollUntil(
      'the third attempt',
      () => {
        attempts += 1;
        if (attempts === 1) return undefined;
        if (attempts === 2) return false;
        return `attempt ${attempts}`;
      },
      { timeoutMs: 5_000, intervalMs: 1 },
    );
    assert.equal(value, 'attempt 3');
    assert.equal(attempts, 3);
  });

  test('rejects naming what it waited for once the deadline has passed', async () => {
    let attempts = 0;
    const started = Date.now();
    await assert.rejects(
      pollUntil(
        'a condition that never holds',
        () => {
          attempts += 1;
          return false;
        },
        { timeoutMs: 100, intervalMs: 10 },
      ),
      { message: 'a condition that never holds: not reached within 100 ms' },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 100, `gave up after ${elapsed} ms, before its deadline`);
    assert.ok(attempts >= 2, `only ${attempts} attempt(s) in 100 ms at a 10 ms interval`);
  });

  test('a check that throws stops the wait at once', async () => {
    let attempts = 0;
    await assert.rejects(
      pollUntil(
        'a process that exited',
        async () => {
          attempts += 1;
          await Promise.resolve();
          throw new Error('it exited with code 1');
        },
        { timeoutMs: 5_000, intervalMs: 1 },
      ),
      { message: 'it exited with code 1' },
    );
    assert.equal(attempts, 1);
  });
});

describe('integerFlag', () => {
  const bounds = { min: 1, max: 3600 };

  test('accepts whole numbers within the bounds, both ends included', () => {
    assert.equal(integerFlag('--deadline', '1', bounds), 1);
    assert.equal(integerFlag('--deadline', '3600', bounds), 3600);
    assert.equal(integerFlag('PORT', '-5', { min: -10, max: 0 }), -5);
  });

  test('rejects out-of-range and non-decimal text in one line naming the value and the range', () => {
    for (const text of ['0', '3601', '1.5', '1e3', '0x10', ' 7', '7 ', 'abc', '', undefined]) {
      assert.throws(
        () => integerFlag('--deadline', text, bounds),
        (error: unknown) =>
          error instanceof FlagError &&
          error.message ===
            `--deadline=${JSON.stringify(text ?? '')} is invalid: expected a whole number from 1 to 3600`,
        `accepted ${JSON.stringify(text)}`,
      );
    }
  });

  test('uses the fallback only for a missing or empty value', () => {
    const withFallback = { ...bounds, fallback: 60 };
    assert.equal(integerFlag('SMOKE_DEADLINE_SECONDS', undefined, withFallback), 60);
    assert.equal(integerFlag('SMOKE_DEADLINE_SECONDS', '', withFallback), 60);
    assert.equal(integerFlag('SMOKE_DEADLINE_SECONDS', '5', withFallback), 5);
    assert.throws(() => integerFlag('SMOKE_DEADLINE_SECONDS', '0', withFallback), FlagError);
  });
});

describe('findExecutable', () => {
  test('takes the first executable in PATH order and passes over files that are not', (t) => {
    const root = mkdtempSync(join(tmpdir(), 'find-executable-'));
    t.after(() => {
      rmSync(root, { recursive: true, force: true });
    });
    const folders = ['plain', 'first', 'second'].map((name) => join(root, name));
    folders.forEach((folder, index) => {
      mkdirSync(folder);
      writeFileSync(join(folder, 'tool'), '#!/bin/sh\n');
      // The first folder's copy is not executable, so the search must go on to the next one.
      chmodSync(join(folder, 'tool'), index === 0 ? 0o644 : 0o755);
    });
    const path = ['', ...folders].join(delimiter);
    assert.equal(findExecutable('tool', path), join(root, 'first', 'tool'));
    assert.equal(findExecutable('missing', path), undefined);
  });

  test('findFirstExecutable takes the first name found anywhere on PATH, in the order of the names', (t) => {
    const root = tempDirFor(t, 'find-first-executable');
    for (const [folder, name] of [
      ['a', 'debian-name'],
      ['b', 'upstream-name'],
    ] as const) {
      mkdirSync(join(root, folder));
      writeFileSync(join(root, folder, name), '#!/bin/sh\n');
      chmodSync(join(root, folder, name), 0o755);
    }
    const path = [join(root, 'a'), join(root, 'b')].join(delimiter);
    // The first name wins although the second stands earlier on PATH.
    assert.equal(
      findFirstExecutable(['upstream-name', 'debian-name'], path),
      join(root, 'b', 'upstream-name'),
    );
    assert.equal(
      findFirstExecutable(['missing', 'debian-name'], path),
      join(root, 'a', 'debian-name'),
    );
    assert.equal(findFirstExecutable(['missing'], path), undefined);
  });
});

describe('runCommand', () => {
  test(
    'captures exit code, stdout and stderr, and feeds input on stdin',
    { timeout: 10_000 },
    async () => {
      const result = await runCommand(
        process.execPath,
        [
          '-e',
          `let input = '';
         process.stdin.on('data', (chunk) => (input += chunk)).on('end', () => {
           process.stdout.write('out:' + input);
           process.stderr.write('err');
           process.exitCode = 3;
         });`,
        ],
        { input: 'hello' },
      );
      assert.deepEqual(result, { code: 3, signal: null, stdout: 'out:hello', stderr: 'err' });
    },
  );

  test('kills a command that outlives its timeout', { timeout: 10_000 }, async () => {
    const started = Date.now();
    const result = await runCommand(process.execPath, ['-e', 'setTimeout(() => {}, 20_000)'], {
      timeoutMs: 300,
    });
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.code, null);
    assert.ok(Date.now() - started < 10_000, 'the timeout did not stop the command');
  });

  test('rejects when the command cannot start', async () => {
    await assert.rejects(runCommand('/nonexistent/command', []), { code: 'ENOENT' });
  });
});
