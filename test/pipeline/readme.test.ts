// The README's CI/CD section says what the workflow does: the same jobs, the same branch ->
// environment mapping, the same secrets and variables. A change to one without the other fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { repoPath } from '../helpers/paths.js';
import { renderedNodePorts } from '../helpers/k8s-manifests.js';
import { isEnvironment } from '../../scripts/lib/environments.js';
import {
  jobsThatRun,
  loadWorkflow,
  plan,
  runContext,
  workflowFiles,
} from '../helpers/pipeline-workflows.js';

const readme = readFileSync(repoPath('README.md'), 'utf8');
const section = /<!-- section:ci-cd -->([\s\S]*?)<!-- \/section:ci-cd -->/.exec(readme)?.[1] ?? '';
const ciCd = loadWorkflow('ci-cd.yaml');
const workflowText = workflowFiles()
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');

/** Rows of the Markdown table whose first header cell is `header`, as arrays of cells. */
function table(header: string): string[][] {
  const lines = section.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^\\|\\s*${header}\\s*\\|`).test(line));
  assert.ok(start >= 0, `README ci-cd section has no table starting with "${header}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`|`$/g, '')),
    );
  }
  return rows;
}

const firstColumn = (header: string) =>
  table(header)
    .map((row) => row[0] ?? '')
    .sort();
const referenced = (context: 'secrets' | 'vars') =>
  [
    ...new Set(
      [...workflowText.matchAll(new RegExp(`\\b${context}\\.([A-Z][A-Z0-9_]*)`, 'g'))].map(
        (m) => m[1] ?? '',
      ),
    ),
  ]
    .filter((name) => name !== 'GITHUB_TOKEN')
    .sort();

test('the README lists exactly the workflow jobs', () => {
  assert.deepEqual(firstColumn('Job'), Object.keys(ciCd.jobs).sort());
});

test('the README branch table is the workflow branch -> environment mapping, with the rendered NodePorts', async (t) => {
  const nodePorts = await renderedNodePorts(t);
  if (!nodePorts) return;
  const push = (ciCd.on.push as { branches: string[] }).branches;
  const rows = table('Branch');
  assert.deepEqual(rows.map((row) => row[0]).sort(), [...push].sort());
  for (const [branch, environment, nodePort] of rows) {
    const ref = `refs/heads/${branch ?? ''}`;
    const planned = await plan('push', ref);
    const deploys = jobsThatRun(ciCd, runContext('push', ref, planned)).filter((id) =>
      id.startsWith('deploy-'),
    );
    assert.deepEqual(deploys, [`deploy-${environment ?? ''}`], `branch ${branch ?? ''}`);
    const env = environment ?? '';
    assert.ok(isEnvironment(env), `${env} is no environment`);
    assert.equal(nodePort, String(nodePorts[env]), `branch ${branch ?? ''}: NodePort`);
  }
});

test('the README names exactly the secrets the workflows use', () => {
  const names = referenced('secrets');
  assert.ok(names.includes('DOCKERHUB_TOKEN'), 'parser found no secrets');
  assert.deepEqual(firstColumn('Secret'), names);
});

test('the README names exactly the variables the workflows use', () => {
  const names = referenced('vars');
  assert.ok(names.includes('DOCKERHUB_REPOSITORY'), 'parser found no variables');
  assert.deepEqual(firstColumn('Variable'), names);
});
