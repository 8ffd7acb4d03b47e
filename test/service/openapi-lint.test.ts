// The OpenAPI document the live service serves passes Redocly's linter with its recommended
// ruleset, with no errors and no warnings, in each shape it can take (fault switch writable,
// read-only, or absent as in prod); and it says what the service really does: named component
// schemas, GET /work's ms optional with its default, no content for 204/205/304, the fault
// token declared as a security scheme and required by PUT /faults only (and GET /faults saying
// why there is no PUT without it), the 500 that fault injection can answer. @redocly/cli is a pinned devDependency, run offline with its telemetry
// and update check off (https://redocly.com/docs/cli/configuration/reference/telemetry).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FAULT_TOKEN_ENV } from '../helpers/fault-token.js';
import { repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { serviceFor } from '../helpers/service.js';
import { tempDirFor } from '../helpers/temp-dir.js';

const REDOCLY = repoPath('node_modules/@redocly/cli/bin/cli.js');

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: { default?: unknown } }[];
  responses: Record<string, { description: string; content?: Record<string, unknown> } | undefined>;
}
interface PathItem {
  get?: Operation;
  put?: Operation;
}
interface Document {
  servers?: unknown[];
  security?: unknown[];
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  paths: Partial<Record<string, PathItem>>;
}

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string }[];
}

async function lint(t: Parameters<typeof tempDirFor>[0], document: string): Promise<LintReport> {
  const dir = tempDirFor(t, 'openapi');
  const file = join(dir, 'openapi.json');
  writeFileSync(file, document);
  // cwd is the temp dir, so no redocly.yaml of the repository or elsewhere changes the rules.
  const result = await run(
    process.execPath,
    [REDOCLY, 'lint', '--extends=recommended', '--format=json', '--lint-config=off', file],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        REDOCLY_TELEMETRY: 'off',
        REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
      },
      timeoutMs: 60_000,
    },
  );
  assert.ok(result.stdout.startsWith('{'), `redocly printed no report:\n${result.stderr}`);
  const report = JSON.parse(result.stdout) as LintReport;
  assert.equal(result.code, report.totals.errors > 0 ? 1 : 0, `exit code\n${result.stderr}`);
  return report;
}

const CONFIGURATIONS = {
  'fault switch writable (dev with FAULT_TOKEN)': {
    APP_ENV: 'dev',
    FAULT_INJECTION_ENABLED: 'true',
    ...FAULT_TOKEN_ENV,
  },
  'fault switch read-only (no FAULT_TOKEN)': { APP_ENV: 'dev', FAULT_INJECTION_ENABLED: 'true' },
  'no fault injection (prod)': { APP_ENV: 'prod' },
} as const;

for (const [name, env] of Object.entries(CONFIGURATIONS)) {
  test(`/openapi.json passes redocly lint (recommended), no errors or warnings: ${name}`, async (t) => {
    const service = await serviceFor(t, { env });
    const text = await (await fetch(`${service.url}/openapi.json`)).text();
    const report = await lint(t, text);
    assert.deepEqual(
      report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`),
      [],
      'redocly problems',
    );
    assert.equal(report.totals.errors + report.totals.warnings, 0, 'redocly totals');

    const document = JSON.parse(text) as Document;
    const schemas = Object.keys(document.components.schemas);
    assert.ok(schemas.includes('ErrorResponse'), `component schemas: ${schemas.join(', ')}`);
    assert.deepEqual(
      schemas.filter((schema) => /^def-\d+$/.test(schema)),
      [],
      'no def-N names',
    );

    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item ?? {}).map(([method, operation]) => ({
        path,
        method,
        operation: operation as Operation,
      })),
    );
    const ids = operations.map(({ operation }) => operation.operationId);
    assert.equal(new Set(ids).size, ids.length, `operationIds are unique: ${ids.join(', ')}`);
    const root = document.paths['/']?.get;
    assert.ok(root);
    const put = document.paths['/faults']?.put;
    if ('FAULT_TOKEN' in env) {
      assert.ok(document.components.securitySchemes?.faultToken, 'the token scheme is declared');
      assert.deepEqual(put?.security, [{ faultToken: [] }], 'PUT /faults requires the token');
      assert.ok(put.responses['401'], 'PUT /faults documents its 401');
      assert.match(root.responses['500']?.description ?? '', /fault injected by FAULT_ERROR_RATE/);
    } else {
      assert.equal(put, undefined, 'PUT /faults is absent without FAULT_TOKEN');
      const get = document.paths['/faults']?.get as { description?: string } | undefined;
      if (get) assert.match(get.description ?? '', /FAULT_TOKEN is not configured/);
    }
    for (const { path, method, operation } of operations) {
      if (method === 'put') continue;
      assert.ok(
        operation.security === undefined || operation.security.length === 0,
        `${method} ${path} needs no credentials`,
      );
    }
    if (env.APP_ENV === 'prod') {
      assert.doesNotMatch(root.responses['500']?.description ?? '', /inject/i);
      return;
    }
    const ms = document.paths['/work']?.get?.parameters?.find((p) => p.name === 'ms');
    assert.equal(ms?.required, false, 'GET /work?ms is optional');
    assert.equal(ms.schema?.default, 50, 'GET /work?ms defaults to 50');
    const status = document.paths['/status/{code}']?.get;
    for (const code of ['204', '205', '304']) {
      assert.ok(status?.responses[code], `/status documents ${code}`);
      assert.equal(status.responses[code].content, undefined, `${code} has no content`);
    }
  });
}
