// Route-level hooks: fault injection, the plain-number and Content-Encoding checks are attached
// only to the routes they apply to, after whatever hooks the route declares itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteOptions, preHandlerHookHandler } from 'fastify';
import { addRouteHook } from '../../src/http/add-route-hook.js';

const hook = (name: string): preHandlerHookHandler =>
  Object.defineProperty(
    (_request, _reply, done) => {
      done();
    },
    'name',
    { value: name },
  );

function routeWith(preHandler?: RouteOptions['preHandler']): RouteOptions {
  return { method: 'GET', url: '/', handler: () => 'ok', ...(preHandler ? { preHandler } : {}) };
}

test("addRouteHook keeps the route's own hooks first, whether it has none, one or a list", () => {
  const names = (route: RouteOptions) =>
    [route.preHandler ?? []].flat().map((handler) => handler.name);
  const none = routeWith();
  addRouteHook(none, 'preHandler', hook('added'));
  assert.deepEqual(names(none), ['added']);
  const one = routeWith(hook('own'));
  addRouteHook(one, 'preHandler', hook('added'));
  assert.deepEqual(names(one), ['own', 'added']);
  const list = routeWith([hook('first'), hook('second')]);
  addRouteHook(list, 'preHandler', hook('added'));
  assert.deepEqual(names(list), ['first', 'second', 'added']);
});
