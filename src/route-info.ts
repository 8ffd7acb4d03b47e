// What a request's route is, for logs, metrics and fault injection. Routes declare their kind in
// their Fastify route config; unmatched requests all share one label so metrics stay bounded.
import type { FastifyRequest } from 'fastify';

export interface RouteKind {
  /** Health probes and /metrics: not counted in request metrics, logged at debug, never faulted. */
  probe?: boolean;
  /** Ordinary traffic that the fault-injection switch may slow down or fail. */
  faultable?: boolean;
}

declare module 'fastify' {
  // Adds the RouteKind fields to every route's `config`.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends RouteKind {}
}

export const UNMATCHED_ROUTE = 'unmatched';

export function routeLabel(request: FastifyRequest): string {
  return request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
}

export function isProbeRoute(request: FastifyRequest): boolean {
  return request.routeOptions.config.probe === true;
}

export function isFaultableRoute(request: FastifyRequest): boolean {
  return request.routeOptions.config.faultable === true;
}
