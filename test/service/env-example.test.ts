// .env.example documents every variable the service reads, exactly as src/config.ts declares them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'dotenv';
import { renderEnvExample } from '../../scripts/env-example.js';
import { CONFIG_VARIABLE_NAMES, loadConfig } from '../../src/config.js';
import { repoPath } from '../helpers/paths.js';

const committed = readFileSync(repoPath('.env.example'), 'utf8');

test('.env.example is up to date with src/config.ts (run "make env-example")', () => {
  assert.equal(committed, renderEnvExample());
});

test('.env.example lists every variable once and its values load as a valid config', () => {
  const parsed = parse(committed);
  assert.deepEqual(Object.keys(parsed), [...CONFIG_VARIABLE_NAMES]);
  assert.doesNotThrow(() => loadConfig(parsed));
});
