// .env.example documents every variable the service reads, exactly as src/config/variables.ts
// declares them: regenerated from the declarations, and read back it is the default config.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'dotenv';
import { renderEnvExample } from '../../scripts/env-example.js';
import { CONFIG_VARIABLE_NAMES, loadConfig } from '../../src/config.js';
import { repoPath } from '../helpers/paths.js';

const committed = readFileSync(repoPath('.env.example'), 'utf8');

test('.env.example is up to date with src/config/variables.ts (run "make env-example")', () => {
  assert.equal(committed, renderEnvExample());
});

test('.env.example lists every variable once, in declaration order', () => {
  assert.deepEqual(Object.keys(parse(committed)), [...CONFIG_VARIABLE_NAMES]);
});

test('loadConfig({}) equals the configuration .env.example describes', () => {
  assert.deepEqual(loadConfig(parse(committed), '9.9.9'), loadConfig({}, '9.9.9'));
});
