// GET /work?ms=N: burns CPU for N milliseconds so a load test can drive the HorizontalPodAutoscaler.
// Bounded by WORK_MAX_MS because it blocks the event loop while it runs.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.js';
import { errorRef } from '../http/error-response.js';

/** What GET /work burns when ms is not given. */
const DEFAULT_WORK_MS = 50;

/** Spins for `ms` milliseconds doing arithmetic the optimiser cannot drop. */
function burnCpu(ms: number): number {
  const end = performance.now() + ms;
  let iterations = 0;
  let accumulator = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i += 1) accumulator += Math.sqrt(i + accumulator);
    iterations += 1000;
  }
  return accumulator > 0 ? iterations : 0;
}

export const workRoute: FastifyPluginCallbackTypebox<{ config: Config }> = (
  app,
  { config },
  done,
) => {
  app.get(
    '/work',
    {
      config: { faultable: true },
      schema: {
        operationId: 'burnCpu',
        tags: ['faults'],
        summary: 'Burn CPU for ms milliseconds (load generation for autoscaling)',
        querystring: Type.Object({
          ms: Type.Optional(
            Type.Integer({ minimum: 1, maximum: config.workMaxMs, default: DEFAULT_WORK_MS }),
          ),
        }),
        response: {
          200: Type.Object(
            { ms: Type.Integer(), iterations: Type.Integer() },
            { description: 'The work done' },
          ),
          400: errorRef('ms is not a whole number in range'),
        },
      },
    },
    (request) => {
      // Ajv fills in the schema's default; the fallback only satisfies the type.
      const ms = request.query.ms ?? DEFAULT_WORK_MS;
      return { ms, iterations: burnCpu(ms) };
    },
  );
  done();
};
