// Reads the tables of a Markdown document, so a test can check what the docs say against the
// artifact the statement is about.

/** One pipe table: its header cells and its rows, each row keyed by header cell. */
export interface MarkdownTable {
  header: string[];
  rows: Record<string, string>[];
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim());

const isDelimiter = (line: string) => /^\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*\|?$/.test(line.trim());

/** Every pipe table in `markdown` (a header line, a delimiter line, then rows). */
export function markdownTables(markdown: string): MarkdownTable[] {
  const lines = markdown.split('\n');
  const tables: MarkdownTable[] = [];
  for (let i = 0; i + 1 < lines.length; i += 1) {
    const headerLine = lines[i] ?? '';
    if (!headerLine.trim().startsWith('|') || !isDelimiter(lines[i + 1] ?? '')) continue;
    const header = cells(headerLine);
    const rows: Record<string, string>[] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? '').trim().startsWith('|'); j += 1) {
      const row = cells(lines[j] ?? '');
      rows.push(Object.fromEntries(header.map((name, k) => [name, row[k] ?? ''])));
    }
    tables.push({ header, rows });
    i = j - 1;
  }
  return tables;
}

/** The text between `<!-- section:NAME -->` and `<!-- /section:NAME -->`, or undefined. */
export function readmeSection(readme: string, name: string): string | undefined {
  return new RegExp(`<!-- section:${name} -->([\\s\\S]*?)<!-- /section:${name} -->`).exec(
    readme,
  )?.[1];
}
