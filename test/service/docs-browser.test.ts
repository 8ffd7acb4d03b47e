// Loads /docs in headless Chromium (Debian's, driven by playwright-core; never a downloaded
// browser) and checks that Swagger UI renders the endpoints with the security headers on: a
// Content-Security-Policy that blocked the UI's scripts would leave the page empty.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { serviceFor } from '../helpers/service.js';
import { requireTool } from '../helpers/tools.js';
import { DOCUMENTED_PATHS } from '../helpers/documented-paths.js';

// Playwright adds --headless and a fresh temporary --user-data-dir itself.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

test('Swagger UI at /docs renders every endpoint in headless Chromium', async (t) => {
  const executablePath = requireTool(t, 'chromium', 'Debian package chromium');
  if (!executablePath) return;
  const service = await serviceFor(t);
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  t.after(() => browser.close());

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));

  const response = await page.goto(`${service.url}/docs`, { waitUntil: 'load' });
  assert.ok(response, 'GET /docs got no response');
  assert.ok(response.ok(), `GET /docs answered ${response.status()}`);
  assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'self'/);

  // Swagger UI renders one .opblock per operation once it has fetched the document.
  await page.waitForSelector('.opblock', { timeout: 15_000 });
  const paths = await page.$$eval('.opblock-summary-path', (nodes) =>
    nodes.map((node) => node.getAttribute('data-path') ?? node.textContent),
  );
  for (const path of DOCUMENTED_PATHS) {
    assert.ok(paths.includes(path), `${path} listed on the page; found ${paths.join(', ')}`);
  }
  assert.deepEqual(
    problems.filter((text) => /Content Security Policy|Refused to/i.test(text)),
    [],
    'no CSP violations',
  );
});
