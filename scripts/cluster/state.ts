// What cluster-up made and saw, kept in .tmp/cluster/state.json: cluster-down removes exactly
// what it made and nothing the user had before (the "kind" network only if cluster-up created it,
// the image tags it built); the e2e suite reads what each environment looked like right after its
// first deploy, a moment that has passed by the time the suite runs. The cluster and the registry
// container are found by their names.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { STATE_DIR, STATE_FILE } from './layout.js';

/** A Deployment as read from the API right after the deploy that created it returned. */
export interface FirstDeploy {
  /** metadata.uid: the same object later, or one made again since. */
  uid: string;
  /** spec.replicas and status.readyReplicas at that moment. */
  replicas: number;
  readyReplicas: number;
  /** When it was read (ISO 8601). */
  at: string;
}

interface MadeState {
  /** True when the kind network did not exist before cluster-up. */
  networkCreated: boolean;
  /** Image references built and tagged by cluster-up in the local engine's store. */
  images: string[];
  /** Environment -> its hello-api Deployment right after the deploy that created it. */
  firstDeploys: Record<string, FirstDeploy>;
}

export function readState(): MadeState {
  if (!existsSync(STATE_FILE)) return { networkCreated: false, images: [], firstDeploys: {} };
  const parsed = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as Partial<MadeState>;
  return {
    networkCreated: parsed.networkCreated === true,
    images: parsed.images ?? [],
    firstDeploys: parsed.firstDeploys ?? {},
  };
}

export function writeState(state: MadeState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeStateDir(): void {
  rmSync(STATE_DIR, { recursive: true, force: true });
}
