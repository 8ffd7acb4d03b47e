// A temporary folder that is removed when the test that made it ends, pass or fail (t.after).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function tempDirFor(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `hello-api-${prefix}-`));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
