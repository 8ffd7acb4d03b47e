// The configuration of this process: the real environment over an optional .env file (local runs
// only), and the version in package.json. Read by both process entries, the tracing preload and
// server.ts, so they see the same values; config.ts stays free of process and file concerns.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { loadConfig, type Config } from '../config.js';
import type { Env } from './variable-kinds.js';

/** The real environment, over an optional .env file in the working directory. */
function environment(): Env {
  const fromFile = existsSync('.env') ? parseDotenv(readFileSync('.env')) : {};
  return { ...fromFile, ...process.env };
}

/** Throws ConfigError like loadConfig. `packageJson`: the entry's own URL for ../package.json. */
export function loadProcessConfig(packageJson: URL): Config {
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return loadConfig(environment(), version);
}
