// Numeric path and query parameters must be written as plain decimals, the `integer` and
// `number` the OpenAPI document promises. Ajv's type coercion (Fastify's default) turns any text
// JavaScript's Number() accepts into a number, so "0x1f4", "0500", "500.0", "+500" and "5e2" all
// became 500, and "Infinity" became Infinity, for which Ajv then skips minimum and maximum
// (GET /work?ms=Infinity spun the event loop forever; found by the hostile-input fuzz test).
// This preValidation hook sees the text before Ajv does and answers 400 naming the field.
// Grammar: JSON's number (RFC 8259 section 6) without exponent, and without fraction for an
// integer: an optional minus, no leading zeros, no plus, no hex, no whitespace.
import type { FastifyInstance, FastifySchema, preValidationHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { addRouteHook } from '../http/add-route-hook.js';
import { HttpError } from '../http/error-response.js';

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

interface NumericField {
  readonly part: 'params' | 'querystring';
  readonly name: string;
  readonly integer: boolean;
}

/** The fields of a route's params and querystring schemas declared integer or number. */
function numericFields(schema: FastifySchema | undefined): NumericField[] {
  const fields: NumericField[] = [];
  for (const part of ['params', 'querystring'] as const) {
    const declared = schema?.[part] as
      { properties?: Record<string, { type?: unknown }> } | undefined;
    const properties = declared?.properties;
    for (const [name, property] of Object.entries(properties ?? {})) {
      if (property.type === 'integer' || property.type === 'number') {
        fields.push({ part, name, integer: property.type === 'integer' });
      }
    }
  }
  return fields;
}

function isPlain(text: string, integer: boolean): boolean {
  return (integer ? INTEGER : DECIMAL).test(text) && Number.isFinite(Number(text));
}

function plainNumbersHook(fields: readonly NumericField[]): preValidationHookHandler {
  return (request, _reply, done) => {
    for (const { part, name, integer } of fields) {
      const source = (part === 'params' ? request.params : request.query) as
        Record<string, unknown> | undefined;
      // A repeated query key is an array: each value must be plain (Ajv then refuses the array).
      const values = [source?.[name]].flat();
      if (values.some((value) => typeof value === 'string' && !isPlain(value, integer))) {
        const kind = integer
          ? 'a plain decimal integer, like 50'
          : 'a plain decimal number, like 1.5';
        done(new HttpError(400, `${part}/${name} must be ${kind}`));
        return;
      }
    }
    done();
  };
}

export default fp(
  function plainNumbersPlugin(app: FastifyInstance) {
    // Only routes with numeric parameters get the hook.
    app.addHook('onRoute', (route) => {
      const fields = numericFields(route.schema);
      if (fields.length > 0) addRouteHook(route, 'preValidation', plainNumbersHook(fields));
    });
  },
  { name: 'plain-numbers' },
);
