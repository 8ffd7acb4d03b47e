// The tests' name for scripts/lib/run-command.ts: one implementation for scripts and tests.
export { runCommand as run, type RunResult } from '../../scripts/lib/run-command.js';
