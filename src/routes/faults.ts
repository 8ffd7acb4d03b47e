// Fault injection for drills: a chosen status code, a chosen delay, and the live error-rate and
// latency switch. Registered only when FAULT_INJECTION_ENABLED is true (off by default in prod).
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.js';
import { errorBody } from '../http/error-response.js';
import type { FaultSettings } from '../faults/fault-settings.js';
import { ErrorRef } from '../http/error-response.js';

const ErrorRate = Type.Number({
  minimum: 0,
  maximum: 1,
  description: 'Fraction of requests to fail',
});
const LatencyMs = Type.Integer({ minimum: 0, maximum: 10_000, description: 'Latency to add (ms)' });

const FaultSettingsSchema = Type.Object({ errorRate: ErrorRate, latencyMs: LatencyMs });

/** PUT body: either field may be left out; unknown fields are refused. */
const FaultSettingsChange = Type.Object(
  { errorRate: Type.Optional(ErrorRate), latencyMs: Type.Optional(LatencyMs) },
  { additionalProperties: false },
);

interface FaultRouteOptions {
  config: Config;
  faults: FaultSettings;
}

export const faultRoutes: FastifyPluginCallbackTypebox<FaultRouteOptions> = (
  app,
  { config, faults },
  done,
) => {
  app.get(
    '/status/:code',
    {
      config: { clientChosenStatus: true },
      schema: {
        tags: ['faults'],
        summary: 'Answer with the given HTTP status code',
        params: Type.Object({ code: Type.Integer({ minimum: 200, maximum: 599 }) }),
        response: {
          '2xx': Type.Object({ statusCode: Type.Integer(), message: Type.String() }),
          '3xx': Type.Object({ statusCode: Type.Integer(), message: Type.String() }),
          '4xx': ErrorRef,
          '5xx': ErrorRef,
        },
      },
    },
    (request, reply) => {
      const { code } = request.params;
      const message = `Requested status ${code}`;
      reply.code(code);
      return code >= 400 ? errorBody(code, message, request.id) : { statusCode: code, message };
    },
  );

  app.get(
    '/delay/:seconds',
    {
      schema: {
        tags: ['faults'],
        summary: 'Answer after the given number of seconds (at most DELAY_MAX_SECONDS)',
        params: Type.Object({
          seconds: Type.Number({ minimum: 0, maximum: config.delayMaxSeconds }),
        }),
        response: { 200: Type.Object({ delayedSeconds: Type.Number() }), 400: ErrorRef },
      },
    },
    async (request) => {
      await sleep(request.params.seconds * 1000);
      return { delayedSeconds: request.params.seconds };
    },
  );

  app.get(
    '/faults',
    {
      schema: {
        tags: ['faults'],
        summary: 'Current fault-injection settings',
        response: { 200: FaultSettingsSchema },
      },
    },
    () => faults.snapshot(),
  );

  app.put(
    '/faults',
    {
      schema: {
        tags: ['faults'],
        summary: 'Change the error rate and added latency of ordinary routes',
        body: FaultSettingsChange,
        response: { 200: FaultSettingsSchema, 400: ErrorRef, 413: ErrorRef, 415: ErrorRef },
      },
    },
    (request) => {
      const { errorRate, latencyMs } = request.body;
      if (errorRate !== undefined) faults.errorRate = errorRate;
      if (latencyMs !== undefined) faults.latencyMs = latencyMs;
      request.log.warn({ faults: faults.snapshot() }, 'fault injection settings changed');
      return faults.snapshot();
    },
  );
  done();
};
