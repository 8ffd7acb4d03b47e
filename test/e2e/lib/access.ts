// Asking the API server what a user may do, as that user: an admin impersonates it (`kubectl
// --as`), which replaces the request's user with that name and the group system:authenticated,
// so RBAC and every admission plugin, the label policy included, see that user and not the admin
// (kubernetes.io/docs/reference/access-authn-authz/user-impersonation/; k8s.io/apiserver
// pkg/endpoints/filters/impersonation.go). kind has no GitHub OIDC, so this is how the suite acts
// as the pipeline's deployers.
import { kubectl, kubectlOk } from './kubectl.js';

/** "deployments.apps" for apps/v1 Deployment: the resource name discovery gives the kind. */
export async function resourceOf(apiVersion: string, kind: string): Promise<string> {
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const list = JSON.parse(await kubectlOk(['get', '--raw', path])) as {
    resources: { name: string; kind: string }[];
  };
  const resource = list.resources.find((r) => r.kind === kind && !r.name.includes('/'));
  if (!resource) throw new Error(`the API server has no resource for ${apiVersion} ${kind}`);
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return group ? `${resource.name}.${group}` : resource.name;
}

export interface Question {
  verb: string;
  /** "deployments.apps", "secrets", "deployments.apps/hello-api". */
  resource: string;
  namespace?: string;
  subresource?: string;
}

export const describeQuestion = (q: Question): string =>
  `${q.verb} ${q.resource}${q.subresource ? `/${q.subresource}` : ''}${q.namespace ? ` in ${q.namespace}` : ''}`;

/**
 * `kubectl auth can-i` as `user`: "yes" and exit 0 when allowed, "no" and exit 1 when not
 * (kubectl pkg/cmd/auth/cani.go); anything else is an error, not an answer.
 */
export async function canI(user: string, question: Question): Promise<boolean> {
  const result = await kubectl([
    'auth',
    'can-i',
    question.verb,
    question.resource,
    ...(question.namespace ? ['-n', question.namespace] : []),
    ...(question.subresource ? [`--subresource=${question.subresource}`] : []),
    `--as=${user}`,
  ]);
  const answer = result.stdout.trim();
  if (answer === 'yes' && result.code === 0) return true;
  if (answer.startsWith('no') && result.code === 1) return false;
  throw new Error(
    `kubectl auth can-i ${describeQuestion(question)} --as=${user}: ${result.stderr}`,
  );
}

/** Who the suite's own kubeconfig is: `kubectl auth whoami` (SelfSubjectReview). */
export async function whoami(): Promise<{ username: string; groups: string[] }> {
  const review = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'])) as {
    status: { userInfo: { username: string; groups?: string[] } };
  };
  return {
    username: review.status.userInfo.username,
    groups: review.status.userInfo.groups ?? [],
  };
}

/** Which part of the API server refused a request, from its error line. */
export function refusedBy(stderr: string, policy: string): 'RBAC' | 'admission policy' | undefined {
  if (stderr.includes(`ValidatingAdmissionPolicy '${policy}'`)) return 'admission policy';
  if (/is forbidden: User ".*" cannot \w+ resource/.test(stderr)) return 'RBAC';
  return undefined;
}
