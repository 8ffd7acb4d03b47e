// On the kind cluster: who may do what. The deployers of k8s/access (impersonated, as kind has no
// GitHub OIDC) may do exactly what a deploy needs in their own namespace and cannot read Secrets;
// a deployer's relabel of its namespace to `enforce: privileged` is refused, and the line says
// whether RBAC or the label policy of k8s/cluster answered; a non-admin whom RBAC lets patch
// namespaces is stopped by the label policy alone; the cluster admin may change a Pod Security
// label (a harmless one, put back afterwards).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterNodes } from './lib/cluster.js';
import {
  APP,
  ENVIRONMENTS,
  NAMESPACE_EDITOR,
  PSA_LABEL_PREFIX,
  deployerUser,
  initialReplicas,
  labelPolicy,
  renderedKinds,
  type Environment,
} from './lib/facts.js';
import {
  canI,
  describeQuestion,
  refusedBy,
  resourceOf,
  whoami,
  type Question,
} from './lib/access.js';
import { applyObjects, kubectl, kubectlJson, kubectlOk } from './lib/kubectl.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;
const ENFORCE = `${PSA_LABEL_PREFIX}enforce`;
const WARN_VERSION = `${PSA_LABEL_PREFIX}warn-version`;
const EDITOR_ROLE = 'e2e-namespace-editor';

const labelsOf = async (namespace: string): Promise<Record<string, string>> =>
  (
    await kubectlJson<{ metadata: { labels?: Record<string, string> } }>([
      'get',
      'namespace',
      namespace,
    ])
  ).metadata.labels ?? {};

/** A server-side dry run of a relabel: it passes RBAC and admission and changes nothing. */
const relabel = (namespace: string, label: string, as?: string) =>
  kubectl([
    ...['label', 'namespace', namespace, label, '--overwrite', '--dry-run=server'],
    ...(as ? [`--as=${as}`] : []),
  ]);

describe('access control on the cluster', { timeout: 10 * MINUTES }, () => {
  const policy = labelPolicy();
  let restoreWarnVersion: { namespace: string; value: string | undefined } | undefined;

  before(() => clusterNodes());
  after(async () => {
    if (restoreWarnVersion !== undefined) {
      const { namespace, value } = restoreWarnVersion;
      await kubectl([
        ...['label', 'namespace', namespace, '--overwrite'],
        value === undefined ? `${WARN_VERSION}-` : `${WARN_VERSION}=${value}`,
      ]);
    }
    await kubectl(['delete', 'clusterrolebinding,clusterrole', EDITOR_ROLE, '--ignore-not-found']);
  });

  test(
    "each deployer may apply its overlay's kinds, roll back, and nothing more: no Secrets, no namespace, no other environment",
    { timeout: 3 * MINUTES },
    async () => {
      for (const env of ENVIRONMENTS) {
        const user = deployerUser(env);
        const allowed: Question[] = [];
        for (const [apiVersion, kind] of renderedKinds(env)) {
          const resource = await resourceOf(apiVersion ?? '', kind ?? '');
          // kubectl apply reads the live object, then creates it or patches it.
          for (const verb of ['get', 'create', 'patch'])
            allowed.push({ verb, resource, namespace: env });
        }
        // kubectl rollout status watches the Deployment; rollout undo lists its ReplicaSets and
        // patches the Deployment with the chosen revision's template.
        allowed.push(
          { verb: 'watch', resource: 'deployments.apps', namespace: env },
          { verb: 'list', resource: 'replicasets.apps', namespace: env },
          { verb: 'patch', resource: 'deployments.apps', namespace: env },
        );
        // A fresh Deployment whose overlay names an initial size is scaled by the deploy.
        if (initialReplicas(env) !== undefined)
          allowed.push({
            verb: 'patch',
            resource: `deployments.apps/${APP.deployment}`,
            subresource: 'scale',
            namespace: env,
          });
        const other = ENVIRONMENTS.find((e) => e !== env) as Environment;
        const refused: Question[] = [
          ...['get', 'list', 'watch'].map((verb) => ({
            verb,
            resource: 'secrets',
            namespace: env,
          })),
          { verb: 'patch', resource: `namespaces/${env}` },
          { verb: 'create', resource: 'pods', subresource: 'exec', namespace: env },
          { verb: 'delete', resource: 'deployments.apps', namespace: env },
          { verb: 'patch', resource: 'deployments.apps', namespace: other },
        ];
        const wrong: string[] = [];
        for (const question of allowed)
          if (!(await canI(user, question))) wrong.push(`may not ${describeQuestion(question)}`);
        for (const question of refused)
          if (await canI(user, question)) wrong.push(`may ${describeQuestion(question)}`);
        console.log(
          `${user}: ${allowed.length} deploy permissions held, ${refused.length} others refused${wrong.length ? `; WRONG: ${wrong.join('; ')}` : ''}`,
        );
        assert.deepEqual(wrong, [], user);
      }
    },
  );

  test(
    'the dev deployer cannot relabel dev enforce=privileged, and the line says who refused it',
    { timeout: MINUTES },
    async () => {
      const env: Environment = 'dev';
      const user = deployerUser(env);
      const before = (await labelsOf(env))[ENFORCE];
      const result = await relabel(env, `${ENFORCE}=privileged`, user);
      const by = refusedBy(result.stderr, policy.name);
      console.log(
        `relabel ${env} ${ENFORCE}=privileged as ${user}: ${result.code === 0 ? 'ADMITTED' : `refused by ${by ?? 'something else'}`}: ${result.stderr.trim()}`,
      );
      assert.notEqual(result.code, 0, 'the relabel was admitted');
      assert.ok(by, `refused, but neither by RBAC nor by ${policy.name}: ${result.stderr}`);
      assert.equal((await labelsOf(env))[ENFORCE], before, 'the label is unchanged');
    },
  );

  test(
    'a non-admin whom RBAC lets patch namespaces is refused a Pod Security relabel by the label policy alone',
    { timeout: MINUTES },
    async () => {
      await applyObjects([
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: EDITOR_ROLE },
          rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'] }],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: EDITOR_ROLE },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: EDITOR_ROLE,
          },
          subjects: [
            { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: NAMESPACE_EDITOR },
          ],
        },
      ]);
      const env: Environment = 'dev';
      // The authorizer sees a new binding once its cache has it; an ordinary label then passes,
      // so the refusal below is the policy's and not RBAC's.
      await waitFor(
        `RBAC to let ${NAMESPACE_EDITOR} patch namespaces`,
        async () => {
          const may = await canI(NAMESPACE_EDITOR, {
            verb: 'patch',
            resource: `namespaces/${env}`,
          });
          return { done: may, seen: may ? 'yes' : 'no' };
        },
        { timeoutMs: MINUTES, intervalMs: 1_000 },
      );
      const plain = await relabel(env, 'e2e-check=1', NAMESPACE_EDITOR);
      assert.equal(plain.code, 0, `an ordinary label was refused: ${plain.stderr}`);
      const result = await relabel(env, `${ENFORCE}=privileged`, NAMESPACE_EDITOR);
      const by = refusedBy(result.stderr, policy.name);
      console.log(
        `relabel ${env} ${ENFORCE}=privileged as ${NAMESPACE_EDITOR} (may patch namespaces): ${result.code === 0 ? 'ADMITTED' : `refused by ${by ?? 'something else'}`}: ${result.stderr.trim()}`,
      );
      assert.notEqual(result.code, 0, 'the relabel was admitted');
      assert.equal(by, 'admission policy', result.stderr);
    },
  );

  test(
    'the cluster admin may change a Pod Security label (warn-version, put back afterwards)',
    { timeout: MINUTES },
    async () => {
      const me = await whoami();
      const adminGroup = me.groups.find((group) => policy.adminGroups.includes(group));
      console.log(
        `kubeconfig user ${me.username}, groups ${me.groups.join(', ')}; the label policy exempts ${policy.adminGroups.join(', ')}`,
      );
      assert.ok(adminGroup, `${me.username} is in none of ${policy.adminGroups.join(', ')}`);
      const env: Environment = 'dev';
      const before = (await labelsOf(env))[WARN_VERSION];
      const changed = before === 'latest' ? 'v1.29' : 'latest';
      restoreWarnVersion = { namespace: env, value: before };
      await kubectlOk(['label', 'namespace', env, `${WARN_VERSION}=${changed}`, '--overwrite']);
      assert.equal((await labelsOf(env))[WARN_VERSION], changed);
      await kubectlOk([
        ...['label', 'namespace', env, '--overwrite'],
        before === undefined ? `${WARN_VERSION}-` : `${WARN_VERSION}=${before}`,
      ]);
      restoreWarnVersion = undefined;
      assert.equal((await labelsOf(env))[WARN_VERSION], before);
      console.log(
        `as ${me.username} (${adminGroup}): ${env} ${WARN_VERSION} ${before ?? '(unset)'} -> ${changed} -> ${before ?? '(unset)'}`,
      );
    },
  );
});
