// Finding external tools. A check whose tool is missing is skipped with one line naming the
// tool, except under CI=true, where a missing tool is a failure: CI must install everything.
// TOOLS is the one list of the tools the suite looks up and where each CI machine gets them;
// test/pipeline/tool-parity.test.ts compares it with .ci/run and the workflow's quality job.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { findExecutable } from '../../scripts/lib/find-executable.js';

export const IN_CI = process.env.CI === 'true';

/**
 * Where a machine gets a tool:
 *  - `apt`: this Debian package (.ci/run) or Ubuntu package (the quality job) provides it;
 *  - `image`: the machine image already has it (.ci/run checks it is there and says so when not;
 *    for GitHub, the ubuntu-24.04 runner image's list of installed software,
 *    actions/runner-images images/ubuntu/Ubuntu2404-Readme.md);
 *  - `step`: the quality job step with this id installs it;
 *  - `instead`: not needed there, because the lookup prefers this other tool from TOOLS.
 */
export type Source = { apt: string } | { image: true } | { step: string } | { instead: string };

interface Tool {
  /** What the suite uses it for. */
  why: string;
  /** This machine's kind, where CI runs `bash .ci/run` (Debian bookworm). */
  ciRun: Source;
  /** The GitHub `quality` job (ubuntu-24.04). */
  quality: Source;
  /** Where the tool is looked up other than through requireTool/findTool, if anywhere. */
  lookedUpIn?: string;
}

export const TOOLS = {
  kubectl: {
    why: 'kubectl kustomize renders k8s/ (manifest, deploy and render tests)',
    ciRun: { image: true },
    quality: { image: true },
  },
  terraform: {
    why: 'fmt and console over opentofu/ where OpenTofu is not installed',
    ciRun: { image: true },
    quality: { instead: 'tofu' },
  },
  tofu: {
    why: 'fmt and console over opentofu/ (preferred over terraform)',
    ciRun: { instead: 'terraform' },
    quality: { step: 'opentofu' },
  },
  promtool: {
    why: 'checks and unit-tests the Prometheus rules and config',
    ciRun: { apt: 'promtool' },
    quality: { step: 'monitoring-tools' },
  },
  prometheus: {
    why: 'the live monitoring stack tests',
    ciRun: { apt: 'prometheus' },
    quality: { step: 'monitoring-tools' },
  },
  amtool: {
    why: 'checks the Alertmanager config and routes',
    ciRun: { apt: 'prometheus-alertmanager' },
    quality: { step: 'monitoring-tools' },
  },
  alertmanager: {
    why: 'the live Alertmanager tests (the release binary; Debian names it prometheus-alertmanager)',
    ciRun: { instead: 'prometheus-alertmanager' },
    quality: { step: 'monitoring-tools' },
  },
  'prometheus-alertmanager': {
    why: "Debian's name for the alertmanager binary",
    ciRun: { apt: 'prometheus-alertmanager' },
    quality: { instead: 'alertmanager' },
  },
  podman: {
    why: 'builds and runs the container image',
    ciRun: { apt: 'podman' },
    quality: { apt: 'podman' },
    lookedUpIn: 'scripts/container/engine.ts',
  },
  runc: {
    why: 'the OCI runtime podman runs with here (crun fails on this machine)',
    ciRun: { apt: 'runc' },
    quality: { apt: 'runc' },
    lookedUpIn: 'scripts/container/engine.ts',
  },
  busybox: {
    why: 'shell of the offline stand-in base image',
    ciRun: { apt: 'busybox-static' },
    quality: { apt: 'busybox-static' },
    lookedUpIn: 'scripts/container/standin-base.ts',
  },
  shellcheck: {
    why: 'lints the shell scripts and the workflow run: blocks',
    ciRun: { apt: 'shellcheck' },
    quality: { apt: 'shellcheck' },
  },
  chromium: {
    why: 'loads the /docs page in a headless browser',
    ciRun: { apt: 'chromium' },
    // Ubuntu's chromium package is a snap stub; the runner's Google Chrome is linked in.
    quality: { step: 'system-tools' },
  },
  openssl: {
    why: 'computes the kubeadm CA hash in the bootstrap tests',
    ciRun: { apt: 'openssl' },
    quality: { apt: 'openssl' },
  },
  zip: {
    why: 'packs the zip artifact the release-installer test installs from',
    ciRun: { apt: 'zip' },
    quality: { apt: 'zip' },
  },
  unzip: {
    why: 'unpacks zip downloads in .github/scripts/install-release.sh (OpenTofu ships as zip)',
    ciRun: { apt: 'unzip' },
    quality: { apt: 'unzip' },
  },
  ip: {
    why: 'builds the network namespaces the metadata-firewall test runs the node rules in',
    ciRun: { apt: 'iproute2' },
    quality: { apt: 'iproute2' },
  },
  iptables: {
    why: "applies the bootstrap's own metadata-firewall rules inside those namespaces",
    ciRun: { apt: 'iptables' },
    quality: { apt: 'iptables' },
  },
  tar: {
    why: 'packs the release-shaped tarballs the installer and release-tools tests unpack (essential)',
    ciRun: { apt: 'tar' },
    quality: { apt: 'tar' },
  },
  make: {
    why: 'the entry point (make test) and the make-target tests',
    ciRun: { apt: 'make' },
    quality: { apt: 'make' },
  },
} as const satisfies Record<string, Tool>;

type ToolName = keyof typeof TOOLS;

/** Absolute path of an executable on PATH, or undefined. */
export function findTool(name: ToolName): string | undefined {
  return findExecutable(name);
}

/**
 * Returns the tool's path, or skips the test (fails it under CI=true) and returns undefined.
 * Usage: `const promtool = requireTool(t, 'promtool'); if (!promtool) return;`
 */
export function requireTool(t: TestContext, name: ToolName, why = ''): string | undefined {
  const found = findTool(name);
  if (found) return found;
  missingTool(t, name, why);
  return undefined;
}

/**
 * For a test that looks its tool up another way: fails under CI=true, else skips, with one line.
 */
export function missingTool(t: TestContext, name: ToolName, why = ''): void {
  const reason = `${name} not found on PATH${why ? ` (${why})` : ''}`;
  if (IN_CI) assert.fail(`${reason}: required under CI=true; .ci/run must install it`);
  t.skip(reason);
}
