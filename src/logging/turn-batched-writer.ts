// Where log lines go: stdout, written once per event-loop turn. Every line of a turn (under load,
// the access lines of all the requests answered in it) is joined and written with one blocking
// write at the end of the turn, so lines are never dropped and never held for longer than a turn.
// pino's default destination (sonic-boom) re-measures its whole pending buffer on every line and
// hands each write to the thread pool; at 20 000 lines/s that cost about three times as much CPU
// per line as this (measured in docs/performance.md). If stdout goes away (EPIPE: the reader
// closed it), the write error reaches the uncaught-exception handler and the process exits 1:
// a service that can no longer log stops rather than serving blind.
import { writeSync } from 'node:fs';

/** How long to wait before retrying when the reader of a non-blocking stdout is behind. */
const RETRY_AFTER_MS = 1;

function isWouldBlock(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/** Never notified: Atomics.wait on it is a sleep. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` without spinning (there is no event loop turn to yield to here). */
function pause(ms: number): void {
  Atomics.wait(SLEEPER, 0, 0, ms);
}

export type WriteFn = (fd: number, buffer: Uint8Array, offset: number) => number;

export class TurnBatchedWriter {
  private pending = '';
  private scheduled = false;

  /** `write` is fs.writeSync; tests pass one that fails or writes partially. */
  constructor(
    private readonly fd: number,
    private readonly write_: WriteFn = writeSync,
  ) {}

  /** pino's DestinationStream interface: one serialised line, newline included. */
  write(line: string): void {
    this.pending += line;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  /**
   * Writes everything pending before returning. A stdout that is a full non-blocking pipe makes
   * the write wait for the reader, as a blocking stdout would, rather than drop lines.
   */
  flushSync(): void {
    if (this.pending === '') return;
    const bytes = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += this.write_(this.fd, bytes, offset);
      } catch (error) {
        if (!isWouldBlock(error)) throw error;
        pause(RETRY_AFTER_MS);
      }
    }
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    this.flushSync();
  };
}

let stdout: TurnBatchedWriter | undefined;

/** The process's one stdout writer; what is pending is written when the process exits. */
export function stdoutWriter(): TurnBatchedWriter {
  if (stdout === undefined) {
    const writer = new TurnBatchedWriter(1);
    process.once('exit', () => {
      try {
        writer.flushSync();
      } catch {
        // Exiting already, and stdout is gone (EPIPE): nowhere left to report it.
      }
    });
    stdout = writer;
  }
  return stdout;
}
