// A minimal stand-in for the Kubernetes API server (none can run here), serving one Deployment,
// so a test can run the real kubectl against it and see exactly which requests a command sends,
// each as the RBAC authorizer sees it (verb, API group, resource/subresource, name). It answers
// only the legacy discovery documents (kubectl falls back to them when /api and /apis answer
// plain JSON) and the Deployment and its scale subresource; anything else is a 404 that the test
// sees in the kubectl output.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run, type RunResult } from './run.js';
import { tempDirFor } from './temp-dir.js';

/** One resource request, in the attributes RBAC decides on. */
interface ResourceRequest {
  verb: string;
  group: string;
  namespace: string;
  /** "deployments" or "deployments/scale". */
  resource: string;
  name: string | undefined;
  contentType: string | undefined;
  body: string;
}

interface KubectlRun {
  result: RunResult;
  requests: ResourceRequest[];
}

/**
 * The RBAC verb of a resource request (Kubernetes docs, "Authorization", "Determine the request
 * verb": kubernetes.io/docs/reference/access-authn-authz/authorization/): POST create, PUT
 * update, PATCH patch, DELETE delete; GET and HEAD get on a named object, list on a collection,
 * watch with ?watch=true.
 */
function rbacVerb(method: string, named: boolean, watch: boolean): string {
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection';
  if (watch) return 'watch';
  return named ? 'get' : 'list';
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const resourceList = (groupVersion: string, resources: unknown[]) => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion,
  resources,
});

/** The discovery documents kubectl reads to map "deployment" and find its scale subresource. */
const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [
      {
        name: 'apps',
        versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
      },
      {
        name: 'autoscaling',
        versions: [{ groupVersion: 'autoscaling/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'autoscaling/v1', version: 'v1' },
      },
    ],
  },
  '/api/v1': resourceList('v1', []),
  '/apis/autoscaling/v1': resourceList('autoscaling/v1', []),
  '/apis/apps/v1': resourceList('apps/v1', [
    {
      name: 'deployments',
      singularName: 'deployment',
      namespaced: true,
      kind: 'Deployment',
      shortNames: ['deploy'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    },
    {
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    },
  ]),
};

/** Serves `namespace/name` as a Deployment with `replicas`; records every resource request. */
async function serve(t: TestContext, namespace: string, name: string, replicas: number) {
  const requests: ResourceRequest[] = [];
  let current = replicas;
  /** The Deployment (apps/v1) or its Scale (autoscaling/v1), both carrying the current count. */
  const view = (scale: boolean) => ({
    apiVersion: scale ? 'autoscaling/v1' : 'apps/v1',
    kind: scale ? 'Scale' : 'Deployment',
    metadata: { name, namespace, resourceVersion: '1' },
    spec: { replicas: current },
    status: { replicas: current },
  });
  /** The status and JSON answer to one request, recording it when it is a resource request. */
  const answer = (request: IncomingMessage, body: string): [number, unknown] => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const discovery = DISCOVERY[url.pathname];
    if (discovery !== undefined) return [200, discovery];
    const match =
      /^\/apis\/(apps)\/v1\/namespaces\/([^/]+)\/(deployments)(?:\/([^/]+)(?:\/(scale))?)?$/.exec(
        url.pathname,
      );
    if (!match) return [404, { kind: 'Status', status: 'Failure', code: 404 }];
    const [, group = '', ns = '', plural = '', object, subresource] = match;
    const method = request.method ?? 'GET';
    requests.push({
      verb: rbacVerb(method, object !== undefined, url.searchParams.get('watch') === 'true'),
      group,
      namespace: ns,
      resource: subresource ? `${plural}/${subresource}` : plural,
      name: object,
      contentType: request.headers['content-type'],
      body,
    });
    if (ns !== namespace || object !== name)
      return [404, { kind: 'Status', status: 'Failure', reason: 'NotFound' }];
    if (subresource && method === 'PATCH') {
      const patch = JSON.parse(body) as { spec?: { replicas?: number } };
      current = patch.spec?.replicas ?? current;
    }
    return [200, view(subresource !== undefined)];
  };
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const [status, value] = answer(request, body);
      json(response, status, value);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/**
 * Runs the real `kubectl args` against a fake API server that holds deployment `name` in
 * `namespace` with `replicas`; returns kubectl's result and the resource requests it sent.
 */
export async function kubectlAgainstFakeServer(
  t: TestContext,
  kubectl: string,
  deployment: { namespace: string; name: string; replicas: number },
  args: readonly string[],
): Promise<KubectlRun> {
  const server = await serve(t, deployment.namespace, deployment.name, deployment.replicas);
  const dir = tempDirFor(t, 'kubectl');
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: server.url } }],
      users: [{ name: 'deployer', user: {} }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'deployer' } }],
      'current-context': 'fake',
    }),
  );
  const result = await run(
    kubectl,
    ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
    { timeoutMs: 60_000, env: { ...process.env, HOME: dir } },
  );
  return { result, requests: server.requests };
}
