// Evaluates the CEL expressions of the cluster's admission policy and the API server's
// authentication configuration with @bufbuild/cel (a CEL implementation that runs the cel-spec
// conformance suite), following the semantics Kubernetes documents for each:
// - ValidatingAdmissionPolicy (kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy):
//   the policy applies when every matchCondition is true; then each validation must be true, and
//   a false validation or an evaluation error (failurePolicy Fail) refuses the request with its
//   message. `object` is null on DELETE, `oldObject` null on CREATE.
// - AuthenticationConfiguration jwt (kubernetes.io/docs/reference/access-authn-authz/authentication):
//   every claimValidationRule must be true, then claimMappings.username.expression (or claim plus
//   prefix) gives the username; an error or an empty username fails authentication.
import { run } from '@bufbuild/cel';

/** CEL maps are Map objects; plain JSON objects become Maps, recursively. */
function toCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object')
    return new Map(Object.entries(value).map(([key, item]) => [key, toCel(item)]));
  return value;
}

function evaluate(expression: string, bindings: Record<string, unknown>): unknown {
  const celBindings = Object.fromEntries(
    Object.entries(bindings).map(([name, value]) => [name, toCel(value)]),
  );
  return run(expression, celBindings as never);
}

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE';
  userInfo: { username: string; groups: string[] };
  object: unknown;
  oldObject: unknown;
}

export interface ValidatingAdmissionPolicy {
  spec: {
    failurePolicy?: string;
    matchConditions?: { name: string; expression: string }[];
    validations: { expression: string; message?: string }[];
  };
}

/** undefined when admitted, else the reason the policy refuses the request. */
export function refusal(
  policy: ValidatingAdmissionPolicy,
  request: AdmissionRequest,
): string | undefined {
  const bindings = { request, object: request.object, oldObject: request.oldObject };
  for (const condition of policy.spec.matchConditions ?? [])
    if (evaluate(condition.expression, bindings) !== true) return undefined;
  for (const validation of policy.spec.validations) {
    let result: unknown;
    try {
      result = evaluate(validation.expression, bindings);
    } catch (error) {
      if (policy.spec.failurePolicy === 'Ignore') continue;
      return `evaluation error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (result !== true) return validation.message ?? validation.expression;
  }
  return undefined;
}

export interface JwtAuthenticator {
  issuer: { url: string; audiences: string[] };
  claimValidationRules?: { expression: string; message?: string }[];
  claimMappings: { username: { expression?: string; claim?: string; prefix?: string } };
}

/** The username the API server gives a token with these (already verified) claims, or an error. */
export function authenticate(
  jwt: JwtAuthenticator,
  claims: Record<string, unknown>,
): { username: string } | { error: string } {
  if (claims.iss !== jwt.issuer.url) return { error: `issuer ${String(claims.iss)}` };
  if (!jwt.issuer.audiences.includes(String(claims.aud)))
    return { error: `audience ${String(claims.aud)}` };
  try {
    for (const rule of jwt.claimValidationRules ?? [])
      if (evaluate(rule.expression, { claims }) !== true)
        return { error: rule.message ?? rule.expression };
    const { expression, claim, prefix } = jwt.claimMappings.username;
    const username =
      expression !== undefined
        ? evaluate(expression, { claims })
        : `${prefix ?? ''}${String(claims[claim ?? ''])}`;
    if (typeof username !== 'string' || username === '') return { error: 'empty username' };
    return { username };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
