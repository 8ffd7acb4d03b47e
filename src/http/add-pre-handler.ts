// Adds a route-level preHandler from an onRoute hook, for plugins whose work applies to some
// routes only (fault injection, the finite-number check): a global hook would run, and cost, on
// every request.
import type { RouteOptions, preHandlerHookHandler } from 'fastify';

/** Runs `hook` after the route's own preHandler hooks (none, one or a list). */
export function addPreHandler(route: RouteOptions, hook: preHandlerHookHandler): void {
  const existing = route.preHandler;
  if (existing === undefined) route.preHandler = [hook];
  else if (Array.isArray(existing)) route.preHandler = [...existing, hook];
  else route.preHandler = [existing, hook];
}
