// No dead exports in src/, scripts/ or test/helpers/: everything a module there exports is
// imported somewhere else (by another module or a test), checked with ts-unused-exports over the
// whole tsconfig project. An export used only in its own file widens a module's surface for
// nothing. Elsewhere (the e2e suite's lib, fixtures) the findings are printed as a diagnostic
// for their owners, not asserted.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';

const CHECKED = ['src/', 'scripts/', 'test/helpers/'].map((dir) => join(REPO_ROOT, dir));

test('every export in src/, scripts/ and test/helpers/ is imported somewhere else', async (t) => {
  const result = await run(
    join(REPO_ROOT, 'node_modules', '.bin', 'ts-unused-exports'),
    ['tsconfig.json', '--showLineNumber'],
    { cwd: REPO_ROOT },
  );
  assert.equal(result.stderr, '', 'ts-unused-exports wrote to stderr');
  // A count line, then one line per module: "<absolute path>[line,column]: <names>".
  assert.match(result.stdout, /^(\d+ modules? with unused exports\n|$)/);
  const findings = result.stdout.split('\n').filter((line) => line.startsWith(REPO_ROOT));
  const checked = findings.filter((line) => CHECKED.some((dir) => line.startsWith(dir)));
  const elsewhere = findings.filter((line) => !checked.includes(line));
  if (elsewhere.length > 0) t.diagnostic(`dead exports elsewhere:\n${elsewhere.join('\n')}`);
  assert.deepEqual(checked, [], 'exports that nothing else imports');
});
