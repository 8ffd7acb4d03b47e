// Tool parity: every external tool the suite looks up (derived here from the test code itself)
// is declared in TOOLS (test/helpers/tools.ts), and both CI machines provide it the way TOOLS says:
// .ci/run (Debian, where `bash .ci/run` runs with CI=true) and the GitHub quality job. Under
// CI=true a missing tool fails its test, so the next tool someone adds fails here first, with the
// file to fix named, instead of on a runner after a push.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { loadWorkflow, type Step } from '../helpers/pipeline-workflows.js';
import { findExecutable } from '../../scripts/lib/find-executable.js';
import { run } from '../helpers/run.js';
import { TOOLS, type Source } from '../helpers/tools.js';
import { CI_RUN_TEXT, ciRunArray } from '../helpers/ci-run.js';
import { testSources, toolLookups } from '../helpers/tool-lookups.js';

const testFiles = testSources().filter(
  (file) => file.path !== relative(REPO_ROOT, import.meta.filename),
);
const { lookups, unnamed } = toolLookups(testFiles);
const used = new Set(lookups.map((lookup) => lookup.tool));

/** Every package .ci/run installs: from bookworm, and the few it pins to trixie. */
const ciRunPackages = (): string[] => [
  ...ciRunArray('APT_PACKAGES'),
  ...ciRunArray('TRIXIE_PACKAGES'),
];

const quality = loadWorkflow('ci-cd.yaml').jobs.quality;
const qualityStep = (id: string): Step | undefined => quality?.steps?.find((s) => s.id === id);
/** Packages named on the quality job's apt-get install line(s). */
function qualityAptPackages(): string[] {
  const script = (qualityStep('system-tools')?.run ?? '').replace(/\\\n/g, ' ');
  return [...script.matchAll(/apt-get install ([^\n]*)/g)].flatMap((m) =>
    (m[1] ?? '').split(/\s+/).filter((word) => word !== '' && !word.startsWith('-')),
  );
}

/** What is wrong with one tool's source on one machine, or undefined. */
function sourceProblem(
  tool: string,
  source: Source,
  machine: 'ciRun' | 'quality',
): string | undefined {
  const where = machine === 'ciRun' ? '.ci/run' : 'the quality job';
  if ('apt' in source) {
    const packages = machine === 'ciRun' ? ciRunPackages() : qualityAptPackages();
    return packages.includes(source.apt)
      ? undefined
      : `${tool}: ${where} does not install ${source.apt}`;
  }
  if ('image' in source) {
    if (machine === 'ciRun' && !ciRunArray('IMAGE_TOOLS').includes(tool))
      return `${tool}: .ci/run does not check IMAGE_TOOLS for it`;
    return undefined;
  }
  if ('step' in source) {
    const step = qualityStep(source.step);
    if (machine !== 'quality' || !step) return `${tool}: ${where} has no step id "${source.step}"`;
    // The step's own text, and the repository scripts it runs (which name what they install).
    const scripts = [
      ...(step.run ?? '').matchAll(/(?<![\w/.-])(?:\.github\/)?scripts\/[\w/.-]+\.(?:ts|sh)\b/g),
    ].map((m) => readFileSync(repoPath(m[0]), 'utf8'));
    const named = (text: string, pattern: RegExp) => pattern.test(text);
    const escaped = tool.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return named(
      `${step.run ?? ''} ${step.uses ?? ''}`,
      new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`),
    ) || scripts.some((text) => named(text, new RegExp(`['"]${escaped}['"]`)))
      ? undefined
      : `${tool}: quality step "${source.step}" does not mention it`;
  }
  const other = (TOOLS as Record<string, { ciRun: Source; quality: Source }>)[source.instead];
  if (!other) return `${tool}: stands in for "${source.instead}", which TOOLS does not declare`;
  return 'instead' in other[machine]
    ? `${tool}: ${source.instead} is not provided either`
    : undefined;
}

describe('tool parity between the test suite, .ci/run and the quality job', () => {
  test('the lookup scan finds requireTool, findTool and IN_CI failures, and flags unnamed ones', () => {
    const found = toolLookups([
      { path: 'a.ts', text: "const p = requireTool(t, 'promtool', 'why');\nfindTool(\"tofu\")" },
      {
        path: 'b.ts',
        text:
          'if (IN_CI) assert.fail(`${x}: .ci/run must install podman`);\n' +
          "if (IN_CI) assert.fail('amtool not found on PATH: .ci/run must install it');\n" +
          "if (IN_CI) assert.fail('something is missing');\n" +
          "if (IN_CI) assert.fail('ip netns needs root under CI=true');",
      },
    ]);
    assert.deepEqual(
      found.lookups.map((l) => l.tool),
      ['promtool', 'tofu', 'podman', 'amtool'],
    );
    assert.deepEqual(found.unnamed, ['b.ts:3']);
  });

  test('the scan finds the tools the suite is known to need', () => {
    for (const tool of ['kubectl', 'terraform', 'promtool', 'shellcheck', 'podman'])
      assert.ok(used.has(tool), `no lookup of ${tool} found: is the scan broken?`);
  });

  test('every missing-tool failure under CI names its tool', () => {
    assert.deepEqual(unnamed, []);
  });

  test('every tool the suite looks up is declared in TOOLS (test/helpers/tools.ts)', () => {
    const undeclared = lookups.filter((lookup) => !(lookup.tool in TOOLS));
    assert.deepEqual(
      undeclared.map((l) => `${l.where}: ${l.tool}`),
      [],
      'add each to TOOLS with the Debian package and the quality-job step that provide it',
    );
  });

  test('every tool in TOOLS is looked up somewhere (no stale entries)', () => {
    for (const [tool, entry] of Object.entries(TOOLS)) {
      const lookedUpIn = 'lookedUpIn' in entry ? entry.lookedUpIn : undefined;
      if (lookedUpIn) {
        assert.match(readFileSync(repoPath(lookedUpIn), 'utf8'), new RegExp(`\\b${tool}\\b`));
        continue;
      }
      assert.ok(used.has(tool), `${tool} is in TOOLS but no test looks it up`);
    }
  });

  for (const machine of ['ciRun', 'quality'] as const) {
    test(`${machine === 'ciRun' ? '.ci/run' : 'the quality job'} provides every tool as TOOLS says`, () => {
      const problems = Object.entries(TOOLS)
        .map(([tool, entry]) => sourceProblem(tool, entry[machine], machine))
        .filter((problem) => problem !== undefined);
      assert.deepEqual(problems, []);
    });
  }

  test('neither machine installs a package no tool in TOOLS needs', () => {
    const needed = (machine: 'ciRun' | 'quality') =>
      new Set(
        Object.values(TOOLS).flatMap((entry) => {
          const source: Source = entry[machine];
          return 'apt' in source ? [source.apt] : [];
        }),
      );
    assert.deepEqual(
      ciRunPackages().filter((p) => !needed('ciRun').has(p)),
      [],
      '.ci/run installs packages TOOLS does not explain',
    );
    assert.deepEqual(
      qualityAptPackages().filter((p) => !needed('quality').has(p)),
      [],
      'the quality job installs packages TOOLS does not explain',
    );
  });

  test('the quality job runs make test under CI=true, so a missing tool fails it', () => {
    assert.ok(quality, 'ci-cd.yaml has no quality job');
    assert.equal(quality.env?.CI, 'true');
    assert.ok((quality.steps ?? []).some((step) => /\bCI=true make test\b/.test(step.run ?? '')));
    assert.match(CI_RUN_TEXT, /^export CI=true$/m);
    assert.match(CI_RUN_TEXT, /^make test$/m);
  });

  test('.ci/run stops with one line naming a machine-image tool that is missing', async () => {
    const bash = findExecutable('bash') ?? '/bin/bash';
    const result = await run(bash, [repoPath('.ci/run')], {
      // Only the shell's own directory: neither kubectl nor terraform is on this PATH.
      env: { PATH: '/nonexistent', CI_RUN_CHECK_ONLY: '1' },
    });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderr.trim().split('\n'), [
      '.ci/run: kubectl not found: this machine image is expected to ship it (test/helpers/tools.ts)',
      '.ci/run: terraform not found: this machine image is expected to ship it (test/helpers/tools.ts)',
    ]);
  });
});
