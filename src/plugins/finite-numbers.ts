// Rejects non-finite numbers in path parameters and query strings. Ajv coerces the text
// "Infinity" to the number Infinity and then skips minimum/maximum for it, so without this
// GET /work?ms=Infinity would spin the event loop forever and /status/Infinity would be a 500
// (found by the hostile-input fuzz test).
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { addPreHandler } from '../http/add-pre-handler.js';
import fp from 'fastify-plugin';
import { HttpError } from '../http/error-response.js';

function firstNonFinite(values: unknown): string | undefined {
  if (typeof values !== 'object' || values === null) return undefined;
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'number' && !Number.isFinite(value)) return key;
  }
  return undefined;
}

const rejectNonFinite: preHandlerHookHandler = (request, _reply, done) => {
  const param = firstNonFinite(request.params);
  const query = param === undefined ? firstNonFinite(request.query) : undefined;
  if (param !== undefined || query !== undefined) {
    const where = param !== undefined ? `params/${param}` : `querystring/${query ?? ''}`;
    done(new HttpError(400, `${where} must be a finite number`));
    return;
  }
  done();
};

export default fp(
  function finiteNumbersPlugin(app: FastifyInstance) {
    // Only a route with a params or querystring schema can coerce text to a number; the others
    // see strings, so they do not get the hook at all.
    app.addHook('onRoute', (route) => {
      const schema = route.schema;
      if (schema?.params !== undefined || schema?.querystring !== undefined) {
        addPreHandler(route, rejectNonFinite);
      }
    });
  },
  { name: 'finite-numbers' },
);
