// What cluster-up made that does not carry the hello-api name, so cluster-down removes exactly
// that and nothing the user had before: the "kind" network (only if cluster-up created it) and
// the image tags it built. The cluster and the registry container are found by their names.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { STATE_DIR, STATE_FILE } from './layout.js';

export interface MadeState {
  /** True when the kind network did not exist before cluster-up. */
  networkCreated: boolean;
  /** Image references built and tagged by cluster-up in the local engine's store. */
  images: string[];
}

export function readState(): MadeState {
  if (!existsSync(STATE_FILE)) return { networkCreated: false, images: [] };
  const parsed = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as Partial<MadeState>;
  return { networkCreated: parsed.networkCreated === true, images: parsed.images ?? [] };
}

export function writeState(state: MadeState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeStateDir(): void {
  rmSync(STATE_DIR, { recursive: true, force: true });
}
