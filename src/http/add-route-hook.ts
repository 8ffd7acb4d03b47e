// Adds a route-level hook from an onRoute hook, for plugins whose work applies to some routes
// only (fault injection, the plain-number check, the Content-Encoding check): a global hook
// would run, and cost, on every request.
import type {
  RouteOptions,
  preHandlerHookHandler,
  preParsingHookHandler,
  preValidationHookHandler,
} from 'fastify';

interface RouteHooks {
  preParsing: preParsingHookHandler;
  preValidation: preValidationHookHandler;
  preHandler: preHandlerHookHandler;
}

/** Runs `hook` after the route's own hooks of that name (none, one or a list). */
export function addRouteHook<K extends keyof RouteHooks>(
  route: RouteOptions,
  name: K,
  hook: RouteHooks[K],
): void {
  const existing = route[name] as RouteHooks[K] | RouteHooks[K][] | undefined;
  const hooks =
    existing === undefined
      ? [hook]
      : Array.isArray(existing)
        ? [...existing, hook]
        : [existing, hook];
  (route as unknown as Record<K, RouteHooks[K][]>)[name] = hooks;
}
