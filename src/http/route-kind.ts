// What kind of route a request hit, for the access log, the metrics and fault injection. Routes
// declare their kind in their Fastify route config; unmatched requests all share one label so
// the metrics stay bounded.
import type { FastifyRequest } from 'fastify';

interface RouteKind {
  /** Health probes and /metrics: not counted in request metrics, logged at debug, never faulted. */
  probe?: boolean;
  /** Ordinary traffic that the fault-injection switch may slow down or fail. */
  faultable?: boolean;
  /** The client picks the status (GET /status/:code): metrics label it by class, e.g. "5xx". */
  clientChosenStatus?: boolean;
}

declare module 'fastify' {
  // Adds the RouteKind fields to every route's `config`.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends RouteKind {}
}

const UNMATCHED_ROUTE = 'unmatched';

/** What the hooks need to know about a request's route, worked out once per request. */
interface RouteInfo {
  readonly label: string;
  readonly probe: boolean;
  readonly clientChosenStatus: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Filled by routeInfo() on first use; app.ts declares it with decorateRequest. */
    routeInfoCache: RouteInfo | null;
  }
}

/**
 * Fastify builds a new object on every read of request.routeOptions; the access log and metrics
 * both ask, so the answer is kept on the request (a measurable share of per-request
 * CPU under load).
 */
function routeInfo(request: FastifyRequest): RouteInfo {
  let info = request.routeInfoCache;
  if (info === null) {
    const options = request.routeOptions;
    info = {
      label: options.url ?? UNMATCHED_ROUTE,
      probe: options.config.probe === true,
      clientChosenStatus: options.config.clientChosenStatus === true,
    };
    request.routeInfoCache = info;
  }
  return info;
}

export function routeLabel(request: FastifyRequest): string {
  return routeInfo(request).label;
}

export function isProbeRoute(request: FastifyRequest): boolean {
  return routeInfo(request).probe;
}

export function hasClientChosenStatus(request: FastifyRequest): boolean {
  return routeInfo(request).clientChosenStatus;
}
