// `promtool check metrics` finds nothing to report in a live scrape of the built service, after
// traffic of every kind (so every metric family has samples: requests, a status-code route,
// probes, a request the parser rejects). promtool's lints come from client_golang's promlint:
// the Debian bookworm build (2.42) and trixie's (2.53.3) both check help text, units, counter
// and gauge naming (prom-client's *_total gauges failed here), reserved names, camelCase and
// abbreviations; only 2.53.3 also reports duplicate series ("metric not unique"). Both were run
// on this scrape; CI runs the one .ci/run installs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sendRaw } from '../helpers/raw-socket.js';
import { run } from '../helpers/run.js';
import { serviceFor } from '../helpers/service.js';
import { requireTool } from '../helpers/tools.js';

test('promtool check metrics is clean on a live scrape', async (t) => {
  const promtool = requireTool(t, 'promtool', 'Debian package promtool or prometheus');
  if (!promtool) return;
  const service = await serviceFor(t, { env: { FAULT_INJECTION_ENABLED: 'true' } });
  for (const path of ['/', '/version', '/work?ms=1', '/status/503', '/no/such/route', '/healthz']) {
    await (await fetch(`${service.url}${path}`)).arrayBuffer();
  }
  assert.match(
    (await sendRaw(service.port, 'GET / HTTP/1.1\r\nNo colon\r\n\r\n')).toString('latin1'),
    / 400 /,
  );

  const scrape = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(scrape, /^http_rejected_requests_total\{reason="malformed"\} 1$/m);
  const result = await run(promtool, ['check', 'metrics'], { input: scrape });
  assert.equal(`${result.stdout}${result.stderr}`.trim(), '', 'promtool reported problems');
  assert.equal(result.code, 0);
});
