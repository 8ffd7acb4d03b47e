// Container-test helpers: engine calls that return parsed results, the image's inspect data and
// layer sizes, the Dockerfile's default base, and a GET that tolerates a port not listening yet.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { engineCall, type ContainerEngine } from '../../scripts/container/engine.js';
import { repoPath } from './paths.js';
import { run, type RunResult } from './run.js';

export async function engineRun(
  engine: ContainerEngine,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<RunResult> {
  return run(engine.path, engineCall(engine, args), { timeoutMs });
}

/** Like engineRun, but fails the test with the engine's own message on a non-zero exit. */
export async function engineOk(
  engine: ContainerEngine,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<string> {
  const result = await engineRun(engine, args, timeoutMs);
  assert.equal(result.code, 0, `${engine.name} ${args.join(' ')} failed:\n${result.stderr.trim()}`);
  return result.stdout;
}

interface ImageInfo {
  Size: number;
  RootFS: { Layers: string[] };
  Config: {
    User?: string;
    Env?: string[];
    ExposedPorts?: Record<string, unknown>;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Labels?: Record<string, string>;
    StopSignal?: string;
    Healthcheck?: { Test?: string[] };
  };
  /** Podman reports the health check here rather than under Config. */
  Healthcheck?: { Test?: string[] };
}

export async function inspectImage(engine: ContainerEngine, image: string): Promise<ImageInfo> {
  const [info] = JSON.parse(await engineOk(engine, ['image', 'inspect', image])) as ImageInfo[];
  assert.ok(info, `no inspect data for ${image}`);
  return info;
}

interface HistoryEntry {
  size?: number;
  Size?: number;
  CreatedBy?: string;
  createdBy?: string;
}

interface LayerSizes {
  totalBytes: number;
  baseBytes: number;
  /** Sum of the history entries above the base image's own history. */
  appBytes: number;
  appLayers: { bytes: number; createdBy: string }[];
}

async function history(engine: ContainerEngine, image: string): Promise<HistoryEntry[]> {
  const text = await engineOk(engine, ['history', '--no-trunc', '--format', 'json', image]);
  return JSON.parse(text) as HistoryEntry[];
}

/** Image size, base size and the size of everything the Dockerfile adds above the base. */
export async function layerSizes(
  engine: ContainerEngine,
  image: string,
  base: string,
): Promise<LayerSizes> {
  const [imageInfo, baseInfo] = await Promise.all([
    inspectImage(engine, image),
    inspectImage(engine, base),
  ]);
  const baseLayers = baseInfo.RootFS.Layers;
  assert.deepEqual(
    imageInfo.RootFS.Layers.slice(0, baseLayers.length),
    baseLayers,
    `${image} is not built on ${base}: its first layers differ`,
  );
  const [imageHistory, baseHistory] = await Promise.all([
    history(engine, image),
    history(engine, base),
  ]);
  // History is newest first: the entries before the base's own are the Dockerfile's.
  const appLayers = imageHistory
    .slice(0, imageHistory.length - baseHistory.length)
    .map((entry) => ({
      bytes: entry.size ?? entry.Size ?? 0,
      createdBy: (entry.CreatedBy ?? entry.createdBy ?? '').replace(/\s+/g, ' ').slice(0, 90),
    }));
  return {
    totalBytes: imageInfo.Size,
    baseBytes: baseInfo.Size,
    appBytes: appLayers.reduce((sum, layer) => sum + layer.bytes, 0),
    appLayers,
  };
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** The default of `ARG <name>=...` in the Dockerfile: the pinned official image. */
export function dockerfileArg(name: string): string {
  const text = readFileSync(repoPath('Dockerfile'), 'utf8');
  const match = new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(text);
  assert.ok(match?.[1], `Dockerfile has no "ARG ${name}=<default>" line`);
  return match[1];
}

/** GET through the published port; network errors (not listening yet) become undefined. */
export async function tryGet(url: string): Promise<Response | undefined> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(2_000) });
  } catch {
    return undefined;
  }
}
