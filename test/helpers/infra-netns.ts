// Network namespaces standing for a node, a pod on it and GCE's metadata server, wired with veth
// pairs so that real packets cross the node's real iptables rules and never leave this machine:
//
//   pod (10.244.1.2) --veth-- node (10.244.1.1 | 169.254.0.1) --veth-- metadata (169.254.169.254)
//
// The node forwards between its two links like a Kubernetes node between a pod and the VPC.
// Servers and clients are small Node.js programs run inside a namespace with `ip netns exec`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { run, type RunResult } from './run.js';
import { findTool, IN_CI, requireTool } from './tools.js';

const POD_IP = '10.244.1.2';
const METADATA_IP = '169.254.169.254';

/** True where this machine can build the namespaces (root, ip, iptables). */
export function netnsAvailable(): boolean {
  return process.getuid?.() === 0 && !!findTool('ip') && !!findTool('iptables');
}

/** Root, `ip` and `iptables` are needed; without them the test is skipped (failed under CI). */
export function netnsToolsOrSkip(t: TestContext): boolean {
  const why = 'network namespaces for the metadata firewall test';
  if (!requireTool(t, 'ip', why) || !requireTool(t, 'iptables', why)) return false;
  if (process.getuid?.() !== 0) {
    if (IN_CI) assert.fail('ip netns needs root under CI=true; .ci/run runs as root');
    t.skip('not root: network namespaces need root');
    return false;
  }
  return true;
}

/** Answers UDP 53, TCP 53 and HTTP on 80 at the metadata address; prints "ready" when bound. */
const METADATA_SERVER = `
const dgram = require('node:dgram'), net = require('node:net'), http = require('node:http');
const ip = process.argv[1]; let bound = 0; const up = () => { if (++bound === 3) console.log('ready'); };
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send('dns-udp', r.port, r.address)).bind(53, ip, up);
net.createServer((s) => s.on('data', () => s.end('dns-tcp'))).listen(53, ip, up);
http.createServer((q, r) => r.end('metadata')).listen(80, ip, up);
`;

/** Sends one request and prints the answer, or "no answer" after the timeout (a DROP). */
const CLIENT = `
const [kind, ip, port] = process.argv.slice(1); const done = (s) => { console.log(s); process.exit(0); };
setTimeout(() => done('no answer'), 1500);
if (kind === 'udp') {
  const s = require('node:dgram').createSocket('udp4');
  s.on('message', (m) => done(String(m))); s.send('query', Number(port), ip);
} else {
  const s = require('node:net').connect(Number(port), ip, () => s.write(kind === 'http' ? 'GET / HTTP/1.0\\r\\n\\r\\n' : 'query'));
  let data = ''; s.on('data', (d) => (data += d)); s.on('end', () => done(kind === 'http' ? data.split('\\r\\n\\r\\n')[1] : data));
  s.on('error', (e) => done('error ' + e.code));
}
`;

export class NetnsLab {
  private readonly tag = `mf${process.pid % 100000}`;
  readonly node = `${this.tag}-node`;
  readonly pod = `${this.tag}-pod`;
  readonly metadata = `${this.tag}-md`;
  private server: ChildProcessWithoutNullStreams | undefined;

  private async ip(...args: string[]): Promise<void> {
    const result = await run('ip', args, { timeoutMs: 10_000 });
    assert.equal(result.code, 0, `ip ${args.join(' ')}: ${result.stderr}`);
  }

  /** Runs a command inside a namespace. */
  exec(ns: string, command: string, args: readonly string[], env = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', ns, command, ...args], {
      timeoutMs: 20_000,
      env: { ...process.env, ...env },
    });
  }

  async create(): Promise<void> {
    for (const ns of [this.node, this.pod, this.metadata]) {
      await this.ip('netns', 'add', ns);
      await this.ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // veth names are created in the host namespace first, so they carry the unique tag too.
    await this.ip('link', 'add', `${this.tag}p0`, 'type', 'veth', 'peer', 'name', `${this.tag}p1`);
    await this.ip('link', 'set', `${this.tag}p0`, 'netns', this.node);
    await this.ip('link', 'set', `${this.tag}p1`, 'netns', this.pod);
    await this.ip('link', 'add', `${this.tag}m0`, 'type', 'veth', 'peer', 'name', `${this.tag}m1`);
    await this.ip('link', 'set', `${this.tag}m0`, 'netns', this.node);
    await this.ip('link', 'set', `${this.tag}m1`, 'netns', this.metadata);
    const links: [string, string, string][] = [
      [this.node, `${this.tag}p0`, '10.244.1.1/24'],
      [this.pod, `${this.tag}p1`, `${POD_IP}/24`],
      [this.node, `${this.tag}m0`, '169.254.0.1/16'],
      [this.metadata, `${this.tag}m1`, `${METADATA_IP}/16`],
    ];
    for (const [ns, link, address] of links) {
      await this.ip('-n', ns, 'address', 'add', address, 'dev', link);
      await this.ip('-n', ns, 'link', 'set', link, 'up');
    }
    await this.ip('-n', this.pod, 'route', 'add', 'default', 'via', '10.244.1.1');
    await this.ip('-n', this.metadata, 'route', 'add', 'default', 'via', '169.254.0.1');
    const forward = await this.exec(this.node, 'sysctl', ['-w', 'net.ipv4.ip_forward=1']);
    assert.equal(forward.code, 0, forward.stderr);
  }

  /** Starts the metadata stand-in and resolves once it listens on all three ports. */
  startMetadataServer(): Promise<void> {
    const server = spawn(
      'ip',
      ['netns', 'exec', this.metadata, process.execPath, '-e', METADATA_SERVER, METADATA_IP],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.server = server;
    return new Promise((resolve, reject) => {
      let output = '';
      server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('ready')) resolve();
      });
      server.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      server.on('exit', (code) => {
        reject(new Error(`metadata server exited ${String(code)}: ${output}`));
      });
    });
  }

  /** What a client in `ns` gets back from the metadata address: the answer or "no answer". */
  async ask(ns: string, kind: 'udp' | 'tcp' | 'http', port: number): Promise<string> {
    const result = await this.exec(ns, process.execPath, [
      '-e',
      CLIENT,
      kind,
      METADATA_IP,
      `${port}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trim();
  }

  async cleanup(): Promise<void> {
    this.server?.kill('SIGKILL');
    // Deleting a namespace deletes the veth ends inside it, and with them their peers.
    for (const ns of [this.node, this.pod, this.metadata])
      await run('ip', ['netns', 'delete', ns], { timeoutMs: 10_000 });
  }
}
