// `make bench-log`: the micro-benchmark behind src/logging/turn-batched-writer.ts, so its claim (about 1 us
// of CPU per access-log line against about 3 us for pino's default destination) can be measured
// again. Each destination runs in its own child process (this script with --child): pino writes
// --lines access-log-shaped lines, --batch of them per event-loop turn (a busy server answers
// many requests per turn), to stdout, a pipe this process drains as a container runtime would.
// The child reports the CPU it used (user + system, so sonic-boom's thread-pool writes count),
// and the parent checks that every line arrived. Destinations: the service's TurnBatchedWriter
// (imported from the service's own module), pino's default (sonic-boom, asynchronous) and
// sonic-boom with a 4 KiB minLength buffer. Rounds alternate the order. Prints a table of
// medians and what it ran on; asserts nothing (docs/performance.md says why).
// Usage: tsx scripts/bench/log-destination.ts [--lines 200000] [--batch 20] [--rounds 3]
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino, type DestinationStream } from 'pino';
import { TurnBatchedWriter } from '../../src/logging/turn-batched-writer.js';
import { FlagError, integerFlag } from '../lib/integer-flag.js';

const SELF = fileURLToPath(import.meta.url);

interface Destination {
  readonly name: string;
  /** False for the baseline, which discards every line. */
  readonly writes: boolean;
  /** A fresh destination on stdout, and how to wait until every line is written. */
  open(): { stream: DestinationStream; finish: () => Promise<void> };
}

const DESTINATIONS: readonly Destination[] = [
  {
    // pino's own work (serialising each line) and nothing else: subtract it from the rows below
    // to get what each destination itself costs.
    name: 'baseline: lines discarded',
    writes: false,
    open: () => ({
      stream: { write: () => undefined },
      finish: () => Promise.resolve(),
    }),
  },
  {
    name: 'turn-batched blocking write (service)',
    writes: true,
    open: () => {
      const writer = new TurnBatchedWriter(1);
      return {
        stream: writer,
        finish: () => {
          writer.flushSync();
          return Promise.resolve();
        },
      };
    },
  },
  ...[0, 4096].map((minLength): Destination => ({
    name: minLength === 0 ? 'sonic-boom (pino default)' : `sonic-boom minLength ${minLength}`,
    writes: true,
    open: () => {
      const sonic = pino.destination({ dest: 1, sync: false, minLength });
      return {
        stream: sonic,
        finish: () =>
          new Promise((resolve) => {
            sonic.once('close', resolve);
            sonic.end();
          }),
      };
    },
  })),
];

interface Measurement {
  cpuMicros: number;
  wallMs: number;
}

/** Child: log `lines` lines through pino to stdout and report the CPU it took on stderr. */
async function child(destination: Destination, lines: number, batch: number): Promise<void> {
  const { stream, finish } = destination.open();
  const logger = pino(
    { base: { service: 'hello-api' }, timestamp: pino.stdTimeFunctions.isoTime },
    stream,
  );
  const line = {
    reqId: 'b1946ac92492d2347c6235b4d2611184',
    req: { method: 'GET', url: '/', remoteAddress: '10.244.1.7' },
    res: { statusCode: 200 },
    responseTime: 0.84,
  };
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let written = 0; written < lines;) {
    for (let i = 0; i < batch && written < lines; i += 1, written += 1) {
      logger.info(line, 'request completed');
    }
    await nextTurn();
  }
  await finish();
  const cpu = process.cpuUsage(cpuBefore);
  const measurement: Measurement = {
    cpuMicros: cpu.user + cpu.system,
    wallMs: performance.now() - wallBefore,
  };
  process.stderr.write(`${JSON.stringify(measurement)}\n`);
}

/** Parent: runs one child, drains its stdout, and checks that every line arrived. */
function measure(index: number, lines: number, batch: number): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      'tsx',
      SELF,
      '--child',
      String(index),
      '--lines',
      String(lines),
      '--batch',
      String(batch),
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let received = 0;
    let report = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) received += 1;
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (report += chunk));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const destination = DESTINATIONS[index];
      const name = destination?.name ?? String(index);
      const expected = destination?.writes === false ? 0 : lines;
      if (code !== 0) reject(new Error(`${name}: child exited with ${code}: ${report.trim()}`));
      else if (received !== expected) {
        reject(new Error(`${name}: ${received} lines arrived, expected ${expected}`));
      } else resolve(JSON.parse(report.trim().split('\n').at(-1) ?? '') as Measurement);
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '200000' },
      batch: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '3' },
      child: { type: 'string' },
    },
  });
  const lines = integerFlag('--lines', values.lines, { min: 1, max: 10_000_000 });
  const batch = integerFlag('--batch', values.batch, { min: 1, max: 10_000 });
  if (values.child !== undefined) {
    const index = integerFlag('--child', values.child, { min: 0, max: DESTINATIONS.length - 1 });
    const destination = DESTINATIONS[index];
    if (destination) await child(destination, lines, batch);
    return;
  }
  const rounds = integerFlag('--rounds', values.rounds, { min: 1, max: 100 });
  console.log(
    `log destinations: ${lines} lines, ${batch} per event-loop turn, ${rounds} rounds, into a drained pipe`,
  );
  console.log(
    `machine: ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, Node.js ${process.version}, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const results = DESTINATIONS.map(() => [] as Measurement[]);
  for (let round = 0; round < rounds; round += 1) {
    // Rotate who goes first, so a drift in the machine's speed favours none.
    for (let offset = 0; offset < DESTINATIONS.length; offset += 1) {
      const index = (round + offset) % DESTINATIONS.length;
      results[index]?.push(await measure(index, lines, batch));
    }
  }
  console.log('');
  console.log(
    '| destination | CPU us per line | of which the destination | lines per second (wall) |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  const cpuPerLine = results.map((runs) => median(runs.map((run) => run.cpuMicros / lines)));
  const baseline = cpuPerLine[0] ?? Number.NaN;
  DESTINATIONS.forEach((destination, index) => {
    const cpu = cpuPerLine[index] ?? Number.NaN;
    const own = destination.writes ? (cpu - baseline).toFixed(2) : '-';
    const perSecond = median((results[index] ?? []).map((run) => (lines * 1000) / run.wallMs));
    console.log(`| ${destination.name} | ${cpu.toFixed(2)} | ${own} | ${Math.round(perSecond)} |`);
  });
  console.log('');
  console.log(
    'Medians over the rounds; CPU includes the thread pool. Numbers are printed, never asserted;',
  );
  console.log(
    'a destination cost below zero means it is lost in the baseline noise: use more --rounds.',
  );
}

main().catch((error: unknown) => {
  console.error(`bench-log: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof FlagError ? 2 : 1);
});
