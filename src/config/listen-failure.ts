// Explains a failed listen() in terms of the variables that chose the address, HOST and PORT, in
// one line like the configuration errors, so the operator knows which value to change. The
// codes are the errno values listen(2) documents for these cases (man 2 bind / listen).
import type { Config } from '../config.js';

const LINES: Readonly<Record<string, (config: Config) => string>> = {
  EADDRINUSE: ({ host, port }) =>
    `PORT=${port} is in use on HOST=${host}: expected a port no other process listens on`,
  EADDRNOTAVAIL: ({ host }) =>
    `HOST=${host} is not an address of this machine: expected one of its addresses, 0.0.0.0 or ::`,
  EACCES: ({ port }) =>
    `PORT=${port} needs a privilege this process does not have: expected a port from 1024 to 65535`,
  EAFNOSUPPORT: ({ host }) =>
    `HOST=${host} is of an address family this machine does not support: expected an IPv4 address such as 0.0.0.0`,
};

/** The one line for a listen error caused by HOST or PORT, or undefined for any other error. */
export function listenFailure(error: unknown, config: Config): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? undefined : LINES[code]?.(config);
}
