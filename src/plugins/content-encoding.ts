// Request bodies are accepted only without a content coding. Nothing here decompresses, so a
// gzip body would otherwise reach the JSON parser as bytes and fail as "invalid JSON", or, worse,
// a coding the parser happens to read would be taken at face value. RFC 9110 section 8.4.1: an
// origin server MAY answer a content coding it does not accept with 415; section 15.5.16: it
// "ought to" say which codings it accepts in Accept-Encoding, here only `identity`. Runs in
// preParsing, before any byte of the body is read, on the routes that take a body only.
import type { FastifyInstance, preParsingHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { addRouteHook } from '../http/add-route-hook.js';
import { errorBody } from '../http/error-response.js';

const rejectEncodedBodies: preParsingHookHandler = (request, reply, payload, done) => {
  const coding = request.headers['content-encoding']?.trim().toLowerCase();
  if (coding === undefined || coding === '' || coding === 'identity') {
    done(null, payload);
    return;
  }
  void reply
    .code(415)
    .header('accept-encoding', 'identity')
    .send(
      errorBody(
        415,
        'Unsupported Content-Encoding: send the body uncompressed (identity)',
        request.id,
      ),
    );
};

export default fp(
  function contentEncodingPlugin(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      if (route.schema?.body !== undefined) addRouteHook(route, 'preParsing', rejectEncodedBodies);
    });
  },
  { name: 'content-encoding' },
);
