// Fault injection for drills: a chosen status code, a chosen delay, and the live error-rate and
// latency switch. Registered only when FAULT_INJECTION_ENABLED is true (off by default in prod);
// the switch itself (PUT /faults) only when FAULT_TOKEN is configured too, behind that token.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.js';
import { errorBody, errorRef } from '../http/error-response.js';
import type { FaultSettings } from '../faults/fault-settings.js';
import { FAULT_TOKEN_SCHEME, faultSwitchWritable, faultTokenGuard } from '../faults/fault-token.js';

const ErrorRate = Type.Number({
  minimum: 0,
  maximum: 1,
  description: 'Fraction of requests to fail',
});
const LatencyMs = Type.Integer({ minimum: 0, maximum: 10_000, description: 'Latency to add (ms)' });

const FaultSettingsSchema = Type.Object(
  { errorRate: ErrorRate, latencyMs: LatencyMs },
  { $id: 'FaultSettings', description: 'The live fault-injection settings.' },
);

/** PUT body: either field may be left out; unknown fields are refused. */
const FaultSettingsChange = Type.Object(
  { errorRate: Type.Optional(ErrorRate), latencyMs: Type.Optional(LatencyMs) },
  { additionalProperties: false },
);

/** Statuses whose answers never carry content (RFC 9110 sections 15.3.5, 15.3.6 and 15.4.5). */
const WITHOUT_CONTENT = new Set([204, 205, 304]);
const NoContent = (description: string) => Type.Null({ description });

/**
 * Headers an answer with this status MUST carry (RFC 9110 sections 15.5.2 and 15.5.6), so a
 * drill's 401 or 405 looks to a client or gateway like a real one.
 */
const REQUIRED_HEADERS: Readonly<Record<number, readonly [string, string]>> = {
  401: ['www-authenticate', 'Bearer realm="hello-api"'],
  405: ['allow', 'GET, HEAD, OPTIONS'],
};

interface FaultRouteOptions {
  config: Config;
  faults: FaultSettings;
}

export const faultRoutes: FastifyPluginCallbackTypebox<FaultRouteOptions> = (
  app,
  { config, faults },
  done,
) => {
  app.addSchema(FaultSettingsSchema);

  app.get(
    '/status/:code',
    {
      config: { clientChosenStatus: true },
      schema: {
        operationId: 'answerWithStatus',
        tags: ['faults'],
        summary: 'Answer with the given HTTP status code',
        params: Type.Object({ code: Type.Integer({ minimum: 200, maximum: 599 }) }),
        response: {
          '2xx': Type.Object(
            { statusCode: Type.Integer(), message: Type.String() },
            { description: 'The requested 2xx status' },
          ),
          204: NoContent('No Content, as requested'),
          205: NoContent('Reset Content, as requested'),
          '3xx': Type.Object(
            { statusCode: Type.Integer(), message: Type.String() },
            { description: 'The requested 3xx status' },
          ),
          304: NoContent('Not Modified, as requested'),
          '4xx': errorRef('The requested 4xx status, or an invalid code (400)'),
          '5xx': errorRef('The requested 5xx status'),
        },
      },
    },
    (request, reply) => {
      const { code } = request.params;
      const message = `Requested status ${code}`;
      reply.code(code);
      const required = REQUIRED_HEADERS[code];
      if (required) reply.header(required[0], required[1]);
      if (WITHOUT_CONTENT.has(code)) return reply.send();
      return code >= 400 ? errorBody(code, message, request.id) : { statusCode: code, message };
    },
  );

  app.get(
    '/delay/:seconds',
    {
      schema: {
        operationId: 'answerAfterDelay',
        tags: ['faults'],
        summary: 'Answer after the given number of seconds (at most DELAY_MAX_SECONDS)',
        params: Type.Object({
          seconds: Type.Number({ minimum: 0, maximum: config.delayMaxSeconds }),
        }),
        response: {
          200: Type.Object({ delayedSeconds: Type.Number() }, { description: 'The delay, served' }),
          400: errorRef('seconds is not a number in range'),
        },
      },
    },
    async (request) => {
      await sleep(request.params.seconds * 1000);
      return { delayedSeconds: request.params.seconds };
    },
  );

  const writable = faultSwitchWritable(config);
  app.get(
    '/faults',
    {
      schema: {
        operationId: 'getFaultSettings',
        tags: ['faults'],
        summary: 'Current fault-injection settings',
        description: writable
          ? 'PUT /faults changes them (with FAULT_TOKEN).'
          : 'Read-only here: FAULT_TOKEN is not configured, so PUT /faults is not served.',
        response: { 200: Type.Ref('FaultSettings', { description: 'The live settings' }) },
      },
    },
    () => faults.snapshot(),
  );

  if (writable) {
    app.put(
      '/faults',
      {
        // Before the body is read: an unauthenticated client gets its 401 without a parse.
        onRequest: faultTokenGuard(config.faultToken),
        schema: {
          operationId: 'changeFaultSettings',
          tags: ['faults'],
          summary: 'Change the error rate and added latency of ordinary routes',
          security: [{ [FAULT_TOKEN_SCHEME]: [] }],
          body: FaultSettingsChange,
          response: {
            200: Type.Ref('FaultSettings', { description: 'The settings now in force' }),
            400: errorRef('Invalid body, or a malformed Authorization header'),
            401: errorRef('No bearer token, or not FAULT_TOKEN (see WWW-Authenticate)'),
            413: errorRef('Body over BODY_LIMIT_BYTES'),
            415: errorRef('Not application/json, or a Content-Encoding other than identity'),
          },
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
  }
  done();
};
