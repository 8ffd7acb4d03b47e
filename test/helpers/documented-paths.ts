// Every path the OpenAPI document (and so the Swagger UI page) must list, in OpenAPI notation.
export const DOCUMENTED_PATHS = [
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/version',
  '/work',
  '/status/{code}',
  '/delay/{seconds}',
  '/faults',
] as const;
