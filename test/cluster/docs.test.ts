// docs/local-cluster.md and the README's local-cluster section say what the code does: the
// pinned versions and checksums are the ones in scripts/cluster/pins.ts, and the make targets they
// name exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  DOWNLOADS,
  KIND_NODE_IMAGE,
  KIND_VERSION,
  KUBECTL_VERSION,
  REGISTRY_IMAGE,
} from '../../scripts/cluster/pins.js';
import { repoPath } from '../helpers/paths.js';

const doc = readFileSync(repoPath('docs/local-cluster.md'), 'utf8');
const readme = readFileSync(repoPath('README.md'), 'utf8');
const section =
  /<!-- section:local-cluster -->([\s\S]*?)<!-- \/section:local-cluster -->/.exec(readme)?.[1] ??
  '';
const makefile = readFileSync(repoPath('mk/cluster.mk'), 'utf8');

test('docs/local-cluster.md quotes the pinned versions, downloads and checksums', () => {
  for (const download of Object.values(DOWNLOADS)) {
    assert.ok(doc.includes(download.url), `${download.url} missing`);
    assert.equal(
      doc.split(download.sha256).length - 1,
      2,
      `${download.sha256} in the install and CI steps`,
    );
  }
  assert.ok(doc.includes(`kind ${KIND_VERSION}`));
  assert.ok(doc.includes(KUBECTL_VERSION));
  assert.ok(doc.includes(KIND_NODE_IMAGE.split('@')[0] ?? ''), 'node image tag');
  assert.ok(
    doc.includes(REGISTRY_IMAGE.replace(/^docker\.io\/library\/|@.*$/g, '')),
    'registry tag',
  );
});

test('the README section and the doc name only make targets that exist', () => {
  assert.notEqual(section, '', 'README has a local-cluster section');
  assert.ok(section.includes(KIND_VERSION));
  const mentioned = new Set(
    [...`${section}\n${doc}`.matchAll(/\bmake (cluster-[a-z]+|e2e|test-cluster)\b/g)].map(
      (m) => m[1] ?? '',
    ),
  );
  assert.ok(mentioned.size >= 3, [...mentioned].join(', '));
  for (const target of mentioned)
    assert.match(
      makefile,
      new RegExp(`^${target}:`, 'm'),
      `make ${target} is not defined in mk/cluster.mk`,
    );
  for (const target of ['cluster-up', 'cluster-down', 'e2e'])
    assert.ok(section.includes(`make ${target}`), `README does not show make ${target}`);
});
