// docs/architecture.md draws src/ as a tree and follows one request through the files. A file
// added, moved or removed without the doc would leave the map wrong, so the tree must list
// exactly the files in src/, and every file the request's path names must exist in src/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { repoPath } from '../helpers/paths.js';

const doc = readFileSync(repoPath('docs/architecture.md'), 'utf8');

function sourceFiles(): string[] {
  return readdirSync(repoPath('src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .sort();
}

/** The paths of the ```text tree that starts with "src/", rebuilt from its indentation. */
function drawnTree(): string[] {
  const block = /```text\nsrc\/\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/architecture.md has no ```text block starting with "src/"');
  const folders: string[] = [];
  const files: string[] = [];
  for (const line of block.split('\n').filter((text) => text.trim() !== '')) {
    const indent = line.length - line.trimStart().length;
    const name = line.trim().split(/\s+/, 1)[0] ?? '';
    assert.equal(indent % 2, 0, `odd indentation in the tree: "${line}"`);
    const depth = indent / 2 - 1;
    folders.length = depth;
    if (name.endsWith('/')) folders.push(name.slice(0, -1));
    else files.push([...folders, name].join('/'));
  }
  return files.sort();
}

test('the tree in docs/architecture.md lists exactly the files in src/', () => {
  const actual = sourceFiles();
  const drawn = drawnTree();
  assert.ok(actual.length > 10, `found ${actual.length} files in src/`);
  assert.deepEqual(
    { missingFromTheTree: actual.filter((f) => !drawn.includes(f)) },
    { missingFromTheTree: [] },
  );
  assert.deepEqual(
    { inTheTreeButNotInSrc: drawn.filter((f) => !actual.includes(f)) },
    { inTheTreeButNotInSrc: [] },
  );
});

test('every file the request path in docs/architecture.md names exists in src/', () => {
  const section = /### One request through the files[^\n]*\n([\s\S]*?)\n## /.exec(doc)?.[1];
  assert.ok(section, 'docs/architecture.md has no "### One request through the files" section');
  const named = [...section.matchAll(/`((?:[a-z-]+\/)*[a-z-]+\.ts)`/g)].map((m) => m[1] ?? '');
  assert.ok(named.length > 10, `the request path names only ${named.length} files`);
  const missing = named.filter((file) => !existsSync(repoPath(`src/${file}`)));
  assert.deepEqual(missing, [], 'files the doc names that are not in src/');
});
