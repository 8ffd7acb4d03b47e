// Prints .env.example from the variable list in src/config.ts, so the example can never drift
// from what the service reads. `make env-example` rewrites the file; a test compares them.
import { CONFIG_VARIABLES } from '../src/config.js';

export function renderEnvExample(): string {
  const lines = [
    '# Every environment variable hello-api reads (generated from src/config.ts by `make env-example`).',
    '# Copy to .env for local runs; real environment variables win over this file.',
    '# An empty value means "unset": the default described applies.',
    '',
  ];
  for (const variable of CONFIG_VARIABLES) {
    lines.push(`# ${variable.description}`, `${variable.name}=${variable.example}`, '');
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) process.stdout.write(renderEnvExample());
