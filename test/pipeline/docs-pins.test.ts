// The versions and checksums docs/ci-cd.md ("Pins") and docs/security.md quote are the ones the
// workflows pin: the workflows are the one source, the docs are checked against them, so a bump
// that forgets the docs fails here instead of leaving them to drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { repoPath } from '../helpers/paths.js';
import { loadWorkflow, workflowFiles, type Job } from '../helpers/pipeline-workflows.js';

const ciCd = loadWorkflow('ci-cd.yaml');
const deploy = loadWorkflow('deploy.yaml');

/** One Markdown bullet (starting with `start`) as a single line. */
function bullet(file: string, start: string): string {
  const text = readFileSync(repoPath(file), 'utf8');
  const from = text.indexOf(start);
  assert.ok(from >= 0, `${file} has no bullet starting "${start}"`);
  const rest = text.slice(from + start.length);
  const end = rest.search(/\n(- |\n|#)/);
  return (start + (end < 0 ? rest : rest.slice(0, end))).replace(/\s+/g, ' ');
}

/** The first capture of `pattern` in `text`, or a failed assertion naming `what`. */
function capture(text: string | undefined, pattern: RegExp, what: string): string {
  const value = pattern.exec(text ?? '')?.[1];
  assert.ok(value, `${what}: not found`);
  return value;
}

function job(workflowJobs: Record<string, Job>, id: string): Job {
  const found = workflowJobs[id];
  assert.ok(found, `job ${id}`);
  return found;
}

const monitoringStep = job(ciCd.jobs, 'quality').steps?.find((s) => s.id === 'monitoring-tools');
const e2eEnv = job(ciCd.jobs, 'e2e').env;
const cosignReleases = [...Object.values(ciCd.jobs), ...Object.values(deploy.jobs)]
  .flatMap((j) => j.steps ?? [])
  .filter((s) => s.uses?.startsWith('sigstore/cosign-installer@'))
  .map((s) => String(s.with?.['cosign-release']));

/** What the workflows pin, by the name the docs use. */
const pinned: Record<string, string[]> = {
  Trivy: [`v${String(ciCd.env?.TRIVY_VERSION)}`],
  OpenTofu: [String(ciCd.env?.TOFU_VERSION)],
  Prometheus: [
    capture(monitoringStep?.env?.PROMETHEUS_URL, /\/download\/v([\d.]+)\//, 'Prometheus'),
  ],
  Alertmanager: [
    capture(monitoringStep?.env?.ALERTMANAGER_URL, /\/download\/v([\d.]+)\//, 'Alertmanager'),
  ],
  kubectl: [
    String(deploy.env?.KUBECTL_VERSION),
    capture(e2eEnv?.KUBECTL_URL, /\/release\/(v[\d.]+)\//, 'e2e kubectl'),
  ],
  kind: [capture(e2eEnv?.KIND_URL, /\/download\/(v[\d.]+)\//, 'kind')],
  cosign: [...new Set(cosignReleases)],
};

/** owner/repo -> "vX.Y.Z shaprefix" for every action the workflows use. */
function actionsInWorkflows(): Map<string, string> {
  const actions = new Map<string, string>();
  for (const file of workflowFiles())
    for (const m of readFileSync(file, 'utf8').matchAll(
      /uses:\s*([\w.-]+\/[\w.-]+)[^@\s]*@([0-9a-f]{40})\s*#\s*(v\d+\.\d+\.\d+)/g,
    ))
      actions.set(m[1] ?? '', `${m[3] ?? ''} ${(m[2] ?? '').slice(0, 8)}`);
  return actions;
}

describe('docs/ci-cd.md Pins', () => {
  test('names each downloaded tool at the version the workflows pin, and no other', () => {
    assert.equal(cosignReleases.length > 1 && pinned.cosign?.length, 1, 'one cosign release');
    const tools = bullet('docs/ci-cd.md', '- **Tools**');
    for (const [name, versions] of Object.entries(pinned))
      for (const version of versions)
        assert.ok(tools.includes(`${name} ${version}`), `ci-cd.md Pins: "${name} ${version}"`);
    for (const m of tools.matchAll(
      /\b(Trivy|OpenTofu|Prometheus|Alertmanager|kubectl|kind|cosign) (v?\d+\.\d+\.\d+)/g,
    ))
      assert.ok(pinned[m[1] ?? '']?.includes(m[2] ?? ''), `ci-cd.md Pins names ${m[0]}`);
  });

  test('lists every action the workflows use, with the version and SHA they pin', () => {
    const actions = bullet('docs/ci-cd.md', '- **Actions**');
    const listed = new Map(
      [...actions.matchAll(/([\w.-]+\/[\w.-]+) (v\d+\.\d+\.\d+) `([0-9a-f]{8})`/g)].map((m) => [
        m[1] ?? '',
        `${m[2] ?? ''} ${m[3] ?? ''}`,
      ]),
    );
    assert.deepEqual(
      [...listed].sort(([a], [b]) => a.localeCompare(b)),
      [...actionsInWorkflows()].sort(([a], [b]) => a.localeCompare(b)),
    );
  });
});

describe('docs/security.md', () => {
  test('quotes the Trivy release and checksum ci-cd.yaml installs, and its cosign', () => {
    const version = String(ciCd.env?.TRIVY_VERSION);
    const binary = bullet('docs/security.md', '- **Binary**');
    assert.ok(binary.includes(`Trivy v${version} from its GitHub release`), binary);
    assert.ok(binary.includes(`\`trivy_${version}_Linux-64bit.tar.gz\``), binary);
    assert.ok(binary.includes(`\`${String(ciCd.env?.TRIVY_SHA256)}\``), 'the Trivy SHA-256');
    const pins = bullet('docs/security.md', '- Actions by full commit SHA');
    assert.ok(pins.includes(`cosign ${pinned.cosign?.[0] ?? ''}`), pins);
  });
});
