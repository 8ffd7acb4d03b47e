// A steady load of concurrent keep-alive GET requests for the reliability tests. Each worker
// loops for as long as `shouldContinue()` says so; every request it starts must end in a 200,
// anything else (a status, a reset) is recorded as a failure. A refused connection is counted
// apart (nothing was sent: the listener is gone) and ends that worker, as a client that found the
// server gone would stop. Nothing is retried: a retry would hide exactly the dropped requests
// these tests look for.
import { Agent, request } from 'undici';

export interface LoadReport {
  ok: number;
  failures: string[];
  /** How many answers carried `Connection: close` (the service's "reconnect elsewhere"). */
  connectionClose: number;
  /** Connections refused (ECONNREFUSED), and when the first was (Date.now()). */
  refused: number;
  firstRefusedAt?: number;
}

interface SteadyLoadOptions {
  baseUrl: string;
  concurrency: number;
  /** Paths the workers cycle through. */
  paths: readonly string[];
  shouldContinue: () => boolean;
  /** Called for each answer, e.g. so a test can react to `Connection: close`. */
  onAnswer?: (status: number, headers: Record<string, string | string[] | undefined>) => void;
}

interface SteadyLoad {
  /** Live counts, readable while the load runs. */
  readonly report: LoadReport;
  /** Resolves once every worker has stopped. */
  readonly finished: Promise<LoadReport>;
}

export function steadyLoad(options: SteadyLoadOptions): SteadyLoad {
  const agent = new Agent({ connections: options.concurrency, keepAliveTimeout: 30_000 });
  const report: LoadReport = { ok: 0, failures: [], connectionClose: 0, refused: 0 };

  async function worker(index: number): Promise<void> {
    for (let i = index; options.shouldContinue(); i += 1) {
      const path = options.paths[i % options.paths.length] ?? '/';
      try {
        const response = await request(`${options.baseUrl}${path}`, { dispatcher: agent });
        await response.body.dump();
        options.onAnswer?.(response.statusCode, response.headers);
        if (response.headers.connection === 'close') report.connectionClose += 1;
        if (response.statusCode === 200) report.ok += 1;
        else report.failures.push(`GET ${path}: status ${response.statusCode}`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code === 'ECONNREFUSED') {
          report.refused += 1;
          report.firstRefusedAt ??= Date.now();
          return;
        }
        report.failures.push(`GET ${path}: ${code} ${(error as Error).message}`);
      }
    }
  }

  const finished = Promise.all(
    Array.from({ length: options.concurrency }, (_, i) => worker(i)),
  ).then(async () => {
    await agent.close();
    return report;
  });
  return { report, finished };
}
