// Reads a process's memory and CPU use from /proc (Linux), so the bench can report peak RSS and
// how busy the server's core was without instrumenting the server itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resident set size of `pid` in bytes, or undefined once the process is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

let ticksPerSecond: number | undefined;

/** Seconds of CPU (user + system) that `pid` has used so far. */
export function cpuSeconds(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the numeric fields start after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is index 0, so utime (field 14) is 11 and stime (field 15) is 12.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Samples RSS every `intervalMs` until stopped, remembering the highest value seen. */
export class PeakRssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.#sample();
    this.#timer = setInterval(() => {
      this.#sample();
    }, intervalMs);
  }

  #sample(): void {
    const rss = residentBytes(this.pid);
    if (rss !== undefined && rss > this.#peak) this.#peak = rss;
  }

  /** Stops sampling and returns the peak in bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak;
  }
}
