// The deploy's result as a Markdown table for the GitHub job summary ($GITHUB_STEP_SUMMARY),
// so a reviewer sees environment, digest, URL and smoke-test verdict without opening logs.
import { appendFileSync } from 'node:fs';

export interface DeployReport {
  environment: string;
  image: string;
  commit: string;
  url: string;
  smoke: string;
  outcome: string;
  /** The revision a failure goes back to, as "revision N (image)". */
  previous: string | undefined;
}

function summaryMarkdown(report: DeployReport): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows: [string, string][] = [
    ['Environment', report.environment],
    ['Image', `\`${report.image}\``],
    ['Commit', `\`${report.commit}\``],
    ['URL', report.url],
    ['Smoke test', report.smoke],
    ['Outcome', report.outcome],
    ['Previous revision', report.previous ?? 'none (first deploy)'],
  ];
  return [
    `### Deploy to ${report.environment}`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([key, value]) => `| ${key} | ${cell(value)} |`),
    '',
  ].join('\n');
}

/** Appends the summary when running in GitHub Actions; does nothing elsewhere. */
export function writeSummary(report: DeployReport, path = process.env.GITHUB_STEP_SUMMARY): void {
  if (path === undefined || path === '') return;
  appendFileSync(path, `${summaryMarkdown(report)}\n`);
}
