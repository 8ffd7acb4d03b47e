// The fault switch's credential as clients see it: the OpenAPI security scheme that PUT /faults
// names, and the bearer-token guard (http/bearer-auth.ts) in front of it. FAULT_TOKEN itself
// comes from the configuration; without it the write route is not registered at all.
import type { onRequestHookHandler } from 'fastify';
import type { Config } from '../config.js';
import { requireBearerToken } from '../http/bearer-auth.js';

/** Whether PUT /faults is served: fault injection on and FAULT_TOKEN configured. */
export function faultSwitchWritable(config: Config): boolean {
  return config.faultInjectionEnabled && config.faultToken !== '';
}

export const FAULT_TOKEN_SCHEME = 'faultToken';

export const faultTokenSecurityScheme = {
  type: 'http',
  scheme: 'bearer',
  description:
    'FAULT_TOKEN, sent as `Authorization: Bearer <token>`. Without a configured FAULT_TOKEN the ' +
    'service does not serve PUT /faults at all.',
} as const;

export function faultTokenGuard(token: string): onRequestHookHandler {
  return requireBearerToken(token, 'Changing the fault settings needs FAULT_TOKEN');
}
