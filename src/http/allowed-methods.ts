// Which methods a path answers, for the `Allow` header of a 405 (RFC 9110 section 15.5.6: "The
// origin server MUST generate an Allow header field in a 405 response") and of OPTIONS answers
// (section 9.3.7). Asked of Fastify's own router (findRoute matches a concrete path, query
// string and percent-encoding included), so it always agrees with the routing. Only requests
// that no route matched, and OPTIONS requests, ask: the happy path pays nothing.
import type { FastifyInstance, RouteOptions } from 'fastify';

/** The order Allow lists methods in. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export class AllowedMethods {
  private readonly methods = new Set<string>();

  /** Records every route's methods from an onRoute hook; call before any route is added. */
  constructor(private readonly app: FastifyInstance) {
    app.addHook('onRoute', (route: RouteOptions) => {
      // OPTIONS is answered for every known path (the CORS plugin's OPTIONS * route).
      for (const method of [route.method].flat())
        if (method !== 'OPTIONS') this.methods.add(method);
    });
  }

  /** The methods the path in `url` answers, OPTIONS included, or [] when no route serves it. */
  of(url: string): string[] {
    // OPTIONS * asks about the server as a whole (RFC 9110 section 9.3.7).
    const found = [...this.methods].filter((method) => url === '*' || this.serves(method, url));
    if (found.length === 0) return [];
    found.sort((a, b) => rank(a) - rank(b));
    return [...found, 'OPTIONS'];
  }

  private serves(method: string, url: string): boolean {
    // Fastify's types leave it out, but findRoute returns null for no match (lib/route.js).
    const route: unknown = this.app.findRoute({ method, url });
    return route !== null;
  }
}

function rank(method: string): number {
  const index = ORDER.indexOf(method);
  return index === -1 ? ORDER.length : index;
}
