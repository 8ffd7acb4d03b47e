// The runbook points at what ships: each of its sections is an alert the shipped rules define (the
// other direction, an alert without a section, is test/monitoring/docs.test.ts), and every name
// it quotes is a panel of the shipped dashboard, or a heading of the doc it names just before.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { shippedAlerts, shippedDashboards } from '../helpers/monitoring-config.js';
import { repoPath } from '../helpers/paths.js';

const RUNBOOK = 'docs/runbook.md';
/** The one section that is about silencing in general, not about an alert. */
const GENERAL_SECTIONS = new Set(['Silencing']);

const folded = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Headings (any level) of a Markdown file outside code fences, whitespace folded. */
function headings(markdown: string): string[] {
  const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...withoutFences.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, text]) => folded(text ?? ''));
}

/** Every panel title of every shipped dashboard (rows included), and the dashboards' titles. */
function dashboardNames(): Set<string> {
  const names = new Set<string>();
  const visit = (panels: { title: string; panels?: unknown[] }[]) => {
    for (const panel of panels) {
      names.add(folded(panel.title));
      visit((panel.panels ?? []) as { title: string; panels?: unknown[] }[]);
    }
  };
  for (const dashboard of shippedDashboards().values()) {
    names.add(folded(dashboard.title));
    visit(dashboard.panels);
  }
  return names;
}

interface Quote {
  text: string;
  /** The Markdown file named right before the quote ("docs/monitoring.md, "Secrets""), if any. */
  doc: string | undefined;
}

/**
 * The plain-text "quotes" of a Markdown text: outside code (fenced or inline, where log lines and
 * error messages go) and outside link texts (which name pages elsewhere).
 */
function plainQuotes(markdown: string): Quote[] {
  const prose = markdown
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`]*`/g, (code) => (/\.md$/.test(code.slice(1, -1)) ? code.slice(1, -1) : '``'))
    .replace(/\[[^\]]*\]\([^)]*\)/g, '[]');
  return [...prose.matchAll(/(?:([\w./-]+\.md),?\s+)?"([^"]+)"/g)].map(([, doc, text]) => ({
    text: folded(text ?? ''),
    doc,
  }));
}

/** Problems with a runbook's quotes: a panel that is not in the dashboards, a missing heading. */
function quoteProblems(markdown: string, panels: Set<string>): string[] {
  const problems: string[] = [];
  for (const { text, doc } of plainQuotes(markdown)) {
    if (doc === undefined) {
      if (!panels.has(text)) problems.push(`"${text}" is no panel of the shipped dashboards`);
      continue;
    }
    const path = doc.startsWith('docs/') ? doc : `docs/${doc}`;
    if (!headings(readFileSync(repoPath(path), 'utf8')).some((heading) => heading.startsWith(text)))
      problems.push(`${doc}, "${text}": no such heading in ${path}`);
  }
  return problems;
}

const runbook = readFileSync(repoPath(RUNBOOK), 'utf8');

test('every runbook section is an alert the shipped rules define', () => {
  const alerts = new Set(shippedAlerts().map((rule) => rule.alert));
  const sections = [...runbook.matchAll(/^## (.+)$/gm)].map(([, name]) => (name ?? '').trim());
  const strays = sections.filter((name) => !alerts.has(name) && !GENERAL_SECTIONS.has(name));
  assert.deepEqual(strays, [], `${RUNBOOK} sections without an alert in the rules`);
});

test('every dashboard panel the runbook names exists, and every doc section it quotes', () => {
  const panels = dashboardNames();
  assert.ok(panels.size > 1, 'the shipped dashboards have panels');
  assert.deepEqual(quoteProblems(runbook, panels), []);
});

test('the quote check catches a renamed panel and a section that does not exist', () => {
  const panels = new Set(['CPU by pod']);
  assert.deepEqual(quoteProblems('Grafana "CPU by pod" and `"not a panel"`.', panels), []);
  assert.deepEqual(quoteProblems('Grafana "CPU per pod".', panels), [
    '"CPU per pod" is no panel of the shipped dashboards',
  ]);
  assert.deepEqual(quoteProblems('(docs/monitoring.md, "Secrets").', panels), []);
  assert.deepEqual(quoteProblems('(`docs/monitoring.md`, "No such section").', panels), [
    'docs/monitoring.md, "No such section": no such heading in docs/monitoring.md',
  ]);
  assert.deepEqual(quoteProblems('[a page, "Its heading"](https://example.com/#x)', panels), []);
});
