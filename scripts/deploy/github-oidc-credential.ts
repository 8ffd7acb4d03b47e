// kubectl credential plugin (client-go exec, client.authentication.k8s.io/v1): prints an
// ExecCredential holding a fresh GitHub Actions OIDC token for the cluster's own audience, so
// the deploy job authenticates to the API server as its OIDC subject
// (repo:OWNER/REPO:environment:ENV) and no Kubernetes token is ever stored.
// GitHub's ID tokens live about five minutes (docs.github.com, "OpenID Connect": the example
// token's iat/exp are 300 s apart), shorter than a deploy, so kubectl runs this plugin again when
// the expirationTimestamp given here passes. A job with `id-token: write` has
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN; a GET of the URL with
// `&audience=` and the request token as bearer answers {"value": "<JWT>"}.
// Needs KUBE_OIDC_AUDIENCE. The token goes to stdout (kubectl) only, never to stderr or a file.
// Usage (from the kubeconfig connect-cluster.sh writes): node --import tsx github-oidc-credential.ts

/** Refresh this long before the token's own expiry, so no request goes out with a stale one. */
const EXPIRY_MARGIN_SECONDS = 30;

interface ExecCredential {
  apiVersion: 'client.authentication.k8s.io/v1';
  kind: 'ExecCredential';
  status: { token: string; expirationTimestamp: string };
}

/** The `exp` claim of a JWT (seconds since the epoch), read without verifying it. */
export function jwtExpiry(jwt: string): number {
  const payload = jwt.split('.')[1];
  if (payload === undefined) throw new Error('the token is not a JWT (no payload part)');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    exp?: unknown;
  };
  if (typeof claims.exp !== 'number') throw new Error('the token has no numeric exp claim');
  return claims.exp;
}

export function execCredential(token: string): ExecCredential {
  const expires = new Date((jwtExpiry(token) - EXPIRY_MARGIN_SECONDS) * 1000);
  return {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token, expirationTimestamp: expires.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}

/** Asks GitHub's token endpoint for an ID token with `audience`. */
async function requestIdToken(env: NodeJS.ProcessEnv): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  const audience = env.KUBE_OIDC_AUDIENCE;
  if (!url || !requestToken)
    throw new Error(
      'ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: the job needs permissions id-token: write',
    );
  if (!audience) throw new Error('KUBE_OIDC_AUDIENCE is empty: set it to the cluster audience');
  const separator = url.includes('?') ? '&' : '?';
  const response = await fetch(`${url}${separator}audience=${encodeURIComponent(audience)}`, {
    headers: { Authorization: `bearer ${requestToken}`, Accept: 'application/json' },
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status !== 200)
    throw new Error(`the token endpoint answered HTTP ${response.status}`);
  const body = (await response.json()) as { value?: unknown };
  if (typeof body.value !== 'string' || body.value === '')
    throw new Error('the token endpoint answered without a "value"');
  return body.value;
}

async function main(): Promise<void> {
  try {
    const credential = execCredential(await requestIdToken(process.env));
    process.stdout.write(`${JSON.stringify(credential)}\n`);
  } catch (error) {
    console.error(
      `github-oidc-credential: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
}

if (import.meta.filename === process.argv[1]) await main();
