// The external tools the test suite's own code looks up, found by reading the test files: the
// literal names given to requireTool, findTool and missingTool, and those named by any other
// missing-tool failure under CI. Tool parity compares them with what the CI machines install;
// the README's tests table is checked to name them per folder.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT, repoPath } from './paths.js';

interface Lookup {
  tool: string;
  /** The file, relative to the repository. */
  where: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every TypeScript file under test/ but the TOOLS list and this scanner, with its text. */
export function testSources(): { path: string; text: string }[] {
  return sourceFiles(repoPath('test'))
    .filter((path) => path !== repoPath('test/helpers/tools.ts') && path !== import.meta.filename)
    .map((path) => ({ path: relative(REPO_ROOT, path), text: readFileSync(path, 'utf8') }));
}

/**
 * The tools `files` look up: the literal names given to requireTool, findTool and missingTool,
 * and those named by any other missing-tool failure under CI (`if (IN_CI) assert.fail(...)`),
 * which must say which tool (".ci/run must install X" or "X not found"); `unnamed` lists the
 * failures that do not.
 */
export function toolLookups(files: { path: string; text: string }[]): {
  lookups: Lookup[];
  unnamed: string[];
} {
  const lookups: Lookup[] = [];
  const unnamed: string[] = [];
  for (const { path, text } of files) {
    for (const match of text.matchAll(
      /\b(?:requireTool|missingTool)\(\s*\w+\s*,\s*(['"])([^'"]+)\1|\bfindTool\(\s*(['"])([^'"]+)\3/g,
    ))
      lookups.push({ tool: match[2] ?? match[4] ?? '', where: path });
    for (const [index, line] of text.split('\n').entries()) {
      if (!/\bIN_CI\b.*assert\.fail\(/.test(line)) continue;
      // Running as root is a prerequisite of the machine, not a tool to install.
      if (/\bneeds root\b/.test(line)) continue;
      const named =
        /must install (?!it\b)([\w-]+)/.exec(line)?.[1] ??
        /(['"`])([\w-]+) not found on PATH/.exec(line)?.[2];
      if (named) lookups.push({ tool: named, where: path });
      else unnamed.push(`${path}:${index + 1}`);
    }
  }
  return { lookups, unnamed };
}
