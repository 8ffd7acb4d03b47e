// Finds an executable on a PATH string, as a shell would; shared by the scripts and the tests.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Absolute path of the first executable found on `path`, trying each of `names` in turn (a tool
 * packaged under several names, e.g. alertmanager and Debian's prometheus-alertmanager), or
 * undefined.
 */
export function findFirstExecutable(
  names: readonly string[],
  path = process.env.PATH ?? '',
): string | undefined {
  for (const name of names) {
    for (const dir of path.split(delimiter)) {
      if (dir === '') continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

/** Absolute path of the first executable `name` on `path`, or undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  return findFirstExecutable([name], path);
}
