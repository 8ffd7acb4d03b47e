// GET /work?ms=N: burns CPU for N milliseconds so a load test can drive the HorizontalPodAutoscaler.
// Bounded by WORK_MAX_MS because it blocks the event loop while it runs.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.js';
import { ErrorRef } from '../http/error-response.js';

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
        tags: ['faults'],
        summary: 'Burn CPU for ms milliseconds (load generation for autoscaling)',
        querystring: Type.Object({
          ms: Type.Integer({ minimum: 1, maximum: config.workMaxMs, default: 50 }),
        }),
        response: {
          200: Type.Object({ ms: Type.Integer(), iterations: Type.Integer() }),
          400: ErrorRef,
        },
      },
    },
    (request) => ({ ms: request.query.ms, iterations: burnCpu(request.query.ms) }),
  );
  done();
};
