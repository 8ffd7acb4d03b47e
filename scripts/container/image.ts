// `make image`, `make image-offline`, `make image-run`, `make image-standin`: build and run the
// container image with podman or docker, whichever works here (see engine.ts).
// Usage: tsx scripts/container/image.ts build|build-offline|run|standin
// Environment: IMAGE (tag, default hello-api:local), BASE_IMAGE (both stages' base),
// HOST_PORT (image-run, default 8000), APP_VERSION/GIT_COMMIT/BUILD_TIME/SOURCE_URL.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { integerFlag } from '../lib/integer-flag.js';
import { buildFacts } from './build-facts.js';
import { findEngine, type ContainerEngine } from './engine.js';
import { buildCommand, runCommand } from './image-commands.js';
import { ensureStandinBase } from './standin-base.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const COMMANDS = ['build', 'build-offline', 'run', 'standin'] as const;
type Command = (typeof COMMANDS)[number];

function isCommand(value: string | undefined): value is Command {
  return COMMANDS.some((command) => command === value);
}

/** Runs the engine with the terminal attached; resolves with its exit code. */
function attached(engine: ContainerEngine, args: readonly string[]): Promise<number> {
  console.log(`+ ${engine.name} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(engine.path, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve(code ?? 1);
    });
  });
}

async function main(command: Command): Promise<number> {
  const lookup = await findEngine();
  if (!lookup.engine) throw new Error(lookup.reason);
  const engine = lookup.engine;
  const tag = process.env.IMAGE ?? 'hello-api:local';

  switch (command) {
    case 'standin':
      console.log(await ensureStandinBase(engine, console.log));
      return 0;
    case 'build':
    case 'build-offline': {
      const baseImage =
        command === 'build-offline'
          ? await ensureStandinBase(engine, console.log)
          : process.env.BASE_IMAGE || undefined;
      const facts = buildFacts(ROOT);
      return attached(engine, buildCommand(engine, { root: ROOT, tag, facts, baseImage }));
    }
    case 'run':
      return attached(
        engine,
        runCommand(engine, {
          image: tag,
          name: 'hello-api',
          hostPort: integerFlag('HOST_PORT', process.env.HOST_PORT, {
            min: 1,
            max: 65535,
            fallback: 8000,
          }),
          hostAddress: '127.0.0.1',
          env: { APP_ENV: 'local' },
        }),
      );
  }
}

const command = process.argv[2];
if (!isCommand(command)) {
  console.error(
    `scripts/container/image.ts: unknown command "${command ?? ''}": expected one of ${COMMANDS.join(', ')}`,
  );
  process.exit(2);
}
main(command).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `scripts/container/image.ts: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);
