// A small load balancer for the rolling-restart test, doing what kube-proxy and the endpoints
// controller do together: poll each backend's /readyz and route requests only to backends that
// answered 200 on their last probe. It forwards each request once and never retries, so any
// request the service drops reaches the client as an error (502), just as it would in a cluster.
import { Agent as HttpAgent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

interface Backend {
  readonly url: URL;
  ready: boolean;
  served: number;
  polling: boolean;
}

export class ReadinessProxy {
  readonly #backends = new Map<string, Backend>();
  readonly #agent = new HttpAgent({ keepAlive: true });
  #next = 0;

  private constructor(
    private readonly server: Server,
    private readonly pollIntervalMs: number,
  ) {}

  static async start(pollIntervalMs = 100): Promise<ReadinessProxy> {
    const server = createServer();
    const proxy = new ReadinessProxy(server, pollIntervalMs);
    server.on('request', (req, res) => {
      proxy.#forward(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Starts probing a backend; it receives traffic once its /readyz answers 200. */
  add(name: string, baseUrl: string): void {
    const backend: Backend = { url: new URL(baseUrl), ready: false, served: 0, polling: true };
    this.#backends.set(name, backend);
    void this.#poll(backend);
  }

  /** Stops probing and routing to a backend (it has exited). */
  remove(name: string): void {
    const backend = this.#backends.get(name);
    if (backend) backend.polling = false;
    this.#backends.delete(name);
  }

  isRouting(name: string): boolean {
    return this.#backends.get(name)?.ready === true;
  }

  served(name: string): number {
    return this.#backends.get(name)?.served ?? 0;
  }

  async close(): Promise<void> {
    for (const backend of this.#backends.values()) backend.polling = false;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.#agent.destroy();
  }

  async #poll(backend: Backend): Promise<void> {
    while (backend.polling) {
      try {
        const response = await request(new URL('/readyz', backend.url), {
          headersTimeout: 1000,
          bodyTimeout: 1000,
          reset: true,
        });
        await response.body.dump();
        backend.ready = response.statusCode === 200;
      } catch {
        backend.ready = false;
      }
      await sleep(this.pollIntervalMs);
    }
  }

  #pick(): Backend | undefined {
    const ready = [...this.#backends.values()].filter((backend) => backend.ready);
    if (ready.length === 0) return undefined;
    this.#next = (this.#next + 1) % ready.length;
    return ready[this.#next];
  }

  #forward(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
    const backend = this.#pick();
    if (!backend) {
      res.writeHead(503).end('no ready backend');
      return;
    }
    backend.served += 1;
    const upstream = httpRequest(
      {
        host: backend.url.hostname,
        port: backend.url.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.#agent,
      },
      (answer) => {
        const headers = Object.fromEntries(
          Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
        );
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(`upstream error: ${error.message}`);
    });
    req.pipe(upstream);
  }
}
