// docs/architecture.md has a table of the service's files; a file added to src/ without a line
// there would leave the map wrong, so every file must be named (routes/ share one line).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const SRC = new URL('../../src/', import.meta.url);
const DOC = new URL('../../docs/architecture.md', import.meta.url);

test('docs/architecture.md names every file in src/', () => {
  const doc = readFileSync(DOC, 'utf8');
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  assert.ok(files.length > 10, `found ${files.length} files in src/`);
  const missing = files.filter((file) => {
    if (file.startsWith('routes/')) return !doc.includes('`routes/*.ts`');
    return !doc.includes(`\`${file}\``);
  });
  assert.deepEqual(missing, [], 'files in src/ that docs/architecture.md does not describe');
});
