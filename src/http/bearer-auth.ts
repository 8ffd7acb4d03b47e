// Bearer-token authentication (RFC 6750) for the routes that change state. The check runs as a
// route-level onRequest hook, before the body is read, so an unauthenticated client cannot make
// the service parse anything. The presented token is compared with the configured one in
// constant time: both are hashed to SHA-256 first, so timingSafeEqual always compares 32 bytes
// and neither the content nor the length of the real token leaks through timing.
// Answers, from RFC 6750 section 3 and 3.1 (https://www.rfc-editor.org/rfc/rfc6750#section-3.1):
// - no credentials, or another scheme than Bearer: 401 with `WWW-Authenticate: Bearer realm=...`
//   and no error code ("the resource server SHOULD NOT include an error code");
// - `Bearer` without a well-formed token: 400, error="invalid_request";
// - a well-formed token that is not the configured one: 401, error="invalid_token".
// A single token grants everything it guards, so there is no insufficient_scope (403) case.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import { errorBody } from './error-response.js';

/** RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 9110 section 11.4: credentials = auth-scheme [ 1*SP token68 ]; the scheme is case-insensitive. */
const CREDENTIALS = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: +(.*))?$/;
const REALM = 'hello-api';

export function isBearerToken(text: string): boolean {
  return B64TOKEN.test(text);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** An onRequest hook that lets a request through only with `Authorization: Bearer <token>`. */
export function requireBearerToken(token: string, needs: string): onRequestHookHandler {
  const expected = sha256(token);
  return (request, reply, done) => {
    const match = CREDENTIALS.exec(request.headers.authorization?.trim() ?? '');
    if (match?.[1]?.toLowerCase() !== 'bearer') {
      void reply
        .code(401)
        .header('www-authenticate', `Bearer realm="${REALM}"`)
        .send(errorBody(401, `${needs}: send Authorization: Bearer <token>`, request.id));
      return;
    }
    const presented = match[2] ?? '';
    if (!isBearerToken(presented)) {
      void reply
        .code(400)
        .header('www-authenticate', `Bearer realm="${REALM}", error="invalid_request"`)
        .send(
          errorBody(400, 'Malformed Authorization header: expected Bearer <token>', request.id),
        );
      return;
    }
    if (!timingSafeEqual(sha256(presented), expected)) {
      void reply
        .code(401)
        .header('www-authenticate', `Bearer realm="${REALM}", error="invalid_token"`)
        .send(errorBody(401, 'The bearer token is not valid for this service', request.id));
      return;
    }
    done();
  };
}
