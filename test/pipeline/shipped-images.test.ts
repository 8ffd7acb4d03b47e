// The list of shipped third-party images the pipeline scans (scripts/scan/shipped-images.ts) is
// read from what is applied, not typed: every Kustomize tree no other one includes, rendered for
// real, and Canal's manifest. Checked here against the raw manifests (every `image:` written under
// k8s/, the ConfigMap-embedded helper pod included), and the workflow is checked to scan exactly
// that list with the service image's gate, Canal's manifest pinned to what the bootstrap applies.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { APP } from '../../scripts/deploy/render.js';
import {
  imagesIn,
  kustomizationRoots,
  scanReference,
  shippedImages,
  type ShippedImage,
} from '../../scripts/scan/shipped-images.js';
import { loadConfiguration, type Block } from '../helpers/infra-hcl.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { loadWorkflow, transitiveNeeds, type Step } from '../helpers/pipeline-workflows.js';
import { run } from '../helpers/run.js';
import { findTool, requireTool } from '../helpers/tools.js';

const K8S = repoPath('k8s');
const SCRIPT = repoPath('scripts/scan/shipped-images.ts');
const yamlFiles = readdirSync(K8S, { recursive: true, encoding: 'utf8' }).filter((path) =>
  /\.ya?ml$/.test(path),
);
const work = tempDir('shipped-images');
after(work.cleanup);

describe('which trees are rendered', () => {
  test('every kustomization is a root or included by one, and no root is included', () => {
    const all = yamlFiles
      .filter((path) => /(^|\/)kustomization\.ya?ml$/.test(path))
      .map((path) => join(K8S, dirname(path)));
    const roots = kustomizationRoots(K8S);
    assert.ok(roots.length > 1 && roots.length < all.length, roots.join(', '));
    const includes = (dir: string): string[] => {
      const body = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
        resources?: string[];
      };
      return (body.resources ?? [])
        .map((entry) => join(dir, entry))
        .filter((path) => all.includes(path));
    };
    const reached = new Set<string>();
    const visit = (dir: string) => {
      reached.add(dir);
      includes(dir).forEach(visit);
    };
    roots.forEach(visit);
    assert.deepEqual([...reached].sort(), [...all].sort(), 'a kustomization no root reaches');
    for (const root of roots)
      for (const dir of all)
        assert.ok(!includes(dir).includes(root), `${relative(K8S, root)} is included by ${dir}`);
  });
});

describe('the images found', () => {
  let images: ShippedImage[] = [];
  before(async () => {
    // Without kubectl the tests below skip (or fail under CI) naming it.
    if (findTool('kubectl')) images = await shippedImages();
  });

  test("every image written in k8s/ (but hello-api's placeholder) is listed, by digest, and nothing else", (t) => {
    if (!requireTool(t, 'kubectl', 'renders the kustomizations')) return;
    const written = new Set(
      yamlFiles.flatMap((path) =>
        [...readFileSync(join(K8S, path), 'utf8').matchAll(/^\s*(?:-\s+)?image:\s*(\S+)\s*$/gm)]
          .map((match) => match[1] ?? '')
          .filter((image) => image !== APP),
      ),
    );
    assert.ok(written.size > 5, `only ${written.size} images written under k8s/`);
    assert.deepEqual(
      images.map((image) => image.ref).sort(),
      [...written].map(scanReference).sort(),
    );
    for (const image of images) {
      assert.match(image.ref, /@sha256:[0-9a-f]{64}$/, `${image.name} is scanned by digest`);
      assert.doesNotMatch(image.ref, /hello-api/, 'the service image is scanned by scan-image');
    }
  });

  test('the busybox of the provisioner helper pod (inside a ConfigMap) is found, and says where', (t) => {
    if (!requireTool(t, 'kubectl', 'renders the kustomizations')) return;
    const helper = images.find((image) => image.name.includes('/busybox:'));
    assert.ok(helper, images.map((image) => image.name).join('\n'));
    assert.deepEqual(helper.sources, ['k8s/cluster']);
  });
});

describe('finding images in objects', () => {
  test('containers, init and ephemeral containers at any depth, and pod specs in ConfigMaps', () => {
    const objects = [
      {
        kind: 'CronJob',
        spec: {
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  initContainers: [{ name: 'init', image: 'example.org/init:1' }],
                  containers: [
                    { name: 'main', image: 'example.org/main:1@sha256:' + 'a'.repeat(64) },
                  ],
                },
              },
            },
          },
        },
      },
      {
        kind: 'Pod',
        spec: { ephemeralContainers: [{ name: 'debug', image: 'example.org/debug:2' }] },
      },
      {
        kind: 'ConfigMap',
        data: {
          'helperPod.yaml':
            'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: h\n      image: example.org/helper:3\n',
          'notes.txt': 'image: this is prose: not: yaml: [',
        },
      },
      {
        kind: 'Secret',
        data: { 'pod.yaml': 'spec:\n  containers:\n    - image: example.org/hidden:4\n' },
      },
    ];
    assert.deepEqual(imagesIn(objects).sort(), [
      'example.org/debug:2',
      'example.org/helper:3',
      'example.org/init:1',
      `example.org/main:1@sha256:${'a'.repeat(64)}`,
    ]);
  });

  test('a pinned reference is scanned by its digest, registry port kept; a tag-only one as written', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    assert.equal(scanReference(`quay.io/a/b:v1.2.3@${digest}`), `quay.io/a/b@${digest}`);
    assert.equal(scanReference(`registry:5000/a/b:1@${digest}`), `registry:5000/a/b@${digest}`);
    assert.equal(scanReference(`registry:5000/a/b@${digest}`), `registry:5000/a/b@${digest}`);
    assert.equal(scanReference('docker.io/calico/node:v3.29.7'), 'docker.io/calico/node:v3.29.7');
  });
});

describe('the command the workflow runs', () => {
  test("--json with an extra manifest prints one JSON line with that manifest's images too", async (t) => {
    if (!requireTool(t, 'kubectl', 'renders the kustomizations')) return;
    const manifest = join(work.path, 'canal.yaml');
    writeFileSync(
      manifest,
      'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: canal}\nspec:\n  template:\n    spec:\n      containers:\n        - name: calico-node\n          image: docker.io/calico/node:v9.9.9\n',
    );
    const result = await run(
      process.execPath,
      ['--import', 'tsx', SCRIPT, '--json', '--manifest', manifest],
      {
        cwd: REPO_ROOT,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'the output must fit one $GITHUB_OUTPUT line');
    const listed = JSON.parse(lines[0] ?? '') as { ref: string; name: string; slug: string }[];
    const canal = listed.find((image) => image.ref === 'docker.io/calico/node:v9.9.9');
    assert.deepEqual(canal, {
      ref: 'docker.io/calico/node:v9.9.9',
      name: 'docker.io/calico/node:v9.9.9',
      slug: 'docker.io-calico-node-v9.9.9',
    });
    for (const image of listed) assert.match(image.slug, /^[\w.-]+$/);
    assert.match(result.stderr, /^docker\.io\/calico\/node:v9\.9\.9 {2}\(.*canal\.yaml\)$/m);
  });

  test('an unknown argument stops it with one line', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', SCRIPT, '--all'], {
      cwd: REPO_ROOT,
    });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderr.trim().split('\n'), [
      'shipped-images: unknown argument "--all": allowed are --json and --manifest FILE',
    ]);
  });
});

describe('the workflow', () => {
  const ciCd = loadWorkflow('ci-cd.yaml');
  const lister = ciCd.jobs['shipped-images'];
  const scanner = ciCd.jobs['scan-shipped-images'];
  const listStep = lister?.steps?.find((step) => step.id === 'list');

  test('the list comes from the script, with the downloaded Canal manifest, into the job output', () => {
    assert.ok(lister && listStep, 'ci-cd.yaml has no shipped-images job with a "list" step');
    assert.match(
      listStep.run ?? '',
      /^images="\$\(npx tsx scripts\/scan\/shipped-images\.ts --json --manifest "\$RUNNER_TEMP\/canal\/canal\.yaml"\)"\necho "images=\$images" >>"\$GITHUB_OUTPUT"\n$/,
    );
    assert.equal(lister.outputs?.images, '${{ steps.list.outputs.images }}');
    const steps = lister.steps ?? [];
    const download = steps.findIndex((step: Step) =>
      /install-release\.sh "\$CANAL_URL" "\$CANAL_SHA256" canal\.yaml/.test(step.run ?? ''),
    );
    assert.ok(download >= 0 && download < steps.indexOf(listStep), 'Canal is downloaded first');
    assert.equal(steps[download]?.env?.INSTALL_DIR, '${{ runner.temp }}/canal');
  });

  test('the scan is a matrix over exactly that list, one leg per image, none cancelling another', () => {
    assert.ok(scanner, 'ci-cd.yaml has no scan-shipped-images job');
    assert.deepEqual(scanner.needs, ['shipped-images']);
    const strategy = scanner.strategy as { matrix: Record<string, unknown>; 'fail-fast'?: boolean };
    assert.deepEqual(strategy.matrix, {
      image: '${{ fromJSON(needs.shipped-images.outputs.images) }}',
    });
    assert.equal(strategy['fail-fast'], false);
    assert.equal(scanner.env?.IMAGE_REF, '${{ matrix.image.ref }}');
    const trivy = (scanner.steps ?? []).filter((step) => /\btrivy image\b/.test(step.run ?? ''));
    assert.equal(trivy.length, 2, 'a report and a gate');
    for (const step of trivy)
      assert.match(
        step.run ?? '',
        /--image-src remote --platform "\$PLATFORM" .*"\$IMAGE_REF"\s*$/s,
      );
  });

  test('it runs on pull requests too (no secret there) and every deploy waits for it', () => {
    assert.equal(scanner?.if, undefined);
    assert.equal(lister?.if, undefined);
    for (const id of ['deploy-dev', 'deploy-stage', 'deploy-prod'])
      assert.ok(transitiveNeeds(ciCd, id).has('scan-shipped-images'), `${id} does not need it`);
  });

  test("Canal's manifest is the one the bootstrap applies: addons.tf's version and sha256, control-plane.sh's URL", async () => {
    const config = await loadConfiguration();
    const canal = config.locals.canal as Block;
    const template = /local url="(https:\/\/[^"]+\$\{CANAL_VERSION\}[^"]*)"/.exec(
      readFileSync(repoPath('opentofu/scripts/control-plane.sh'), 'utf8'),
    )?.[1];
    assert.ok(template, 'control-plane.sh has no Canal URL with ${CANAL_VERSION}');
    const env = lister?.env ?? {};
    assert.equal(env.CANAL_URL, template.replace('${CANAL_VERSION}', String(canal.version)));
    assert.equal(env.CANAL_SHA256, canal.manifest_sha256);
  });
});
