// Prints .env.example from the declarations in src/config/variables.ts: every variable with
// what it means, what it accepts and its default, so the example can never drift from what the
// service reads. `make env-example` rewrites the file; a test compares them.
import { CONFIG_VARIABLES } from '../src/config/variables.js';

export function renderEnvExample(): string {
  const lines = [
    '# Every environment variable hello-api reads (generated from src/config/variables.ts by `make env-example`).',
    '# Copy to .env for local runs; real environment variables win over this file.',
    '# An empty value means "unset": the default applies.',
    '',
  ];
  for (const variable of CONFIG_VARIABLES) {
    const fallback =
      variable.derivedDefault === undefined ? '' : ` Default: ${variable.derivedDefault}.`;
    lines.push(
      `# ${variable.description}`,
      `# Expected: ${variable.expected}.${fallback}`,
      `${variable.name}=${variable.example}`,
      '',
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) process.stdout.write(renderEnvExample());
