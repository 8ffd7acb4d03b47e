// The relative links of a Markdown text, resolved the way GitHub renders them: a path relative to
// the file that holds the link, and an optional #anchor that must be a heading of its target.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { markdownAnchors } from './monitoring-config.js';
import { repoPath } from './paths.js';

/** One line per relative link of `markdown` (found in `file`) whose target or anchor is missing. */
export function brokenLinks(markdown: string, file: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`]*`/g, '``');
  const problems: string[] = [];
  for (const [, target = ''] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like
    const [path = '', anchor] = target.split('#');
    const resolved = path === '' ? repoPath(file) : join(dirname(repoPath(file)), path);
    const shown = relative(repoPath('.'), resolved);
    if (!existsSync(resolved)) {
      problems.push(`${file}: (${target}) links to ${shown}, which does not exist`);
      continue;
    }
    if (anchor !== undefined && shown.endsWith('.md') && !markdownAnchors(shown).has(anchor))
      problems.push(`${file}: (${target}) names #${anchor}, which is no heading of ${shown}`);
  }
  return problems;
}
