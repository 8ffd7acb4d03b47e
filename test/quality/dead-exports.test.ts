// No dead exports in src/: everything a module exports is imported somewhere else (by another
// module or a test), checked with ts-unused-exports over the whole tsconfig project. An export
// used only in its own file widens a module's surface for nothing. Outside src/ the findings are
// printed as a diagnostic for their owners, not asserted.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';
import { run } from '../helpers/run.js';

test('every export in src/ is imported somewhere else', async (t) => {
  const result = await run(
    join(REPO_ROOT, 'node_modules', '.bin', 'ts-unused-exports'),
    ['tsconfig.json', '--showLineNumber'],
    { cwd: REPO_ROOT },
  );
  assert.equal(result.stderr, '', 'ts-unused-exports wrote to stderr');
  // A count line, then one line per module: "<absolute path>[line,column]: <names>".
  assert.match(result.stdout, /^(\d+ modules? with unused exports\n|$)/);
  const findings = result.stdout.split('\n').filter((line) => line.startsWith(REPO_ROOT));
  const inSrc = findings.filter((line) => line.startsWith(join(REPO_ROOT, 'src/')));
  const elsewhere = findings.filter((line) => !inSrc.includes(line));
  if (elsewhere.length > 0) t.diagnostic(`dead exports outside src/:\n${elsewhere.join('\n')}`);
  assert.deepEqual(inSrc, [], 'exports in src/ that nothing else imports');
});
