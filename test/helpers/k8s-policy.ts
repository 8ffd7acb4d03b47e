// Policy rules for rendered workloads: the restricted Pod Security Standard (what the API server
// enforces in our namespaces) and the project's own hardening and rollout rules. Each rule
// returns violations that name the object, the container and the rule, e.g.
// "prod Deployment/hello-api container hello-api: readOnlyRootFilesystem must be true".
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type {
  Container,
  PodSecurityContext,
  PodSpec,
  Probe,
  SecurityContext,
} from 'kubernetes-types/core/v1.js';
import { objectName, type K8sObject } from './k8s-manifests.js';

/** Volume types the restricted profile allows. */
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** Capabilities the restricted profile lets a container add back. */
const ADDABLE_CAPABILITIES = new Set(['NET_BIND_SERVICE']);

interface Scope {
  where: string;
  pod: PodSpec;
}

function allContainers(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** A container's effective setting: its own, else the pod's. */
function effective<K extends keyof SecurityContext & keyof PodSecurityContext>(
  container: Container,
  pod: PodSpec,
  key: K,
): SecurityContext[K] | PodSecurityContext[K] | undefined {
  return container.securityContext?.[key] ?? pod.securityContext?.[key];
}

/** The restricted Pod Security Standard, v1.30, for one pod spec. */
export function restrictedViolations({ where, pod }: Scope): string[] {
  const problems: string[] = [];
  const fail = (rule: string) => problems.push(`${where}: ${rule}`);
  if (pod.hostNetwork === true) fail('hostNetwork must not be true');
  if (pod.hostPID === true) fail('hostPID must not be true');
  if (pod.hostIPC === true) fail('hostIPC must not be true');
  for (const volume of pod.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    for (const type of types)
      if (!RESTRICTED_VOLUME_TYPES.has(type))
        fail(`volume ${volume.name} is of type ${type}, which the restricted profile forbids`);
  }
  if (pod.securityContext?.runAsUser === 0) fail('pod runAsUser must not be 0 (root)');
  for (const container of allContainers(pod)) {
    const inContainer = (rule: string) => {
      fail(`container ${container.name}: ${rule}`);
    };
    const context = container.securityContext ?? {};
    if (context.privileged === true) inContainer('privileged must not be true');
    if (context.allowPrivilegeEscalation !== false)
      inContainer('allowPrivilegeEscalation must be false');
    if (!(context.capabilities?.drop ?? []).includes('ALL'))
      inContainer('capabilities.drop must include ALL');
    for (const added of context.capabilities?.add ?? [])
      if (!ADDABLE_CAPABILITIES.has(added)) inContainer(`capabilities.add must not add ${added}`);
    if (effective(container, pod, 'runAsNonRoot') !== true)
      inContainer('runAsNonRoot must be true (in the container or pod securityContext)');
    if (effective(container, pod, 'runAsUser') === 0) inContainer('runAsUser must not be 0');
    const seccomp = effective(container, pod, 'seccompProfile')?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      inContainer('seccompProfile.type must be RuntimeDefault or Localhost');
    for (const port of container.ports ?? [])
      if (port.hostPort !== undefined && port.hostPort !== 0)
        inContainer(`port ${port.containerPort} must not set hostPort`);
  }
  return problems;
}

/** Rules beyond the restricted profile that every hello-api workload follows. */
export function hardeningViolations({ where, pod }: Scope, uid: number): string[] {
  const problems: string[] = [];
  const fail = (rule: string) => problems.push(`${where}: ${rule}`);
  if (pod.automountServiceAccountToken !== false)
    fail('automountServiceAccountToken must be false');
  if (pod.serviceAccountName === undefined || pod.serviceAccountName === 'default')
    fail('serviceAccountName must name the workload’s own ServiceAccount');
  const podContext = pod.securityContext ?? {};
  if (podContext.runAsUser !== uid) fail(`pod runAsUser must be ${uid}`);
  if (podContext.runAsGroup !== uid) fail(`pod runAsGroup must be ${uid}`);
  if (podContext.fsGroup !== uid) fail(`pod fsGroup must be ${uid}`);
  const spread = pod.topologySpreadConstraints ?? [];
  if (!spread.some((constraint) => constraint.topologyKey === 'kubernetes.io/hostname'))
    fail('topologySpreadConstraints must spread pods across nodes (kubernetes.io/hostname)');
  const tmp = pod.volumes?.find((volume) => volume.emptyDir !== undefined);
  for (const container of allContainers(pod)) {
    const inContainer = (rule: string) => {
      fail(`container ${container.name}: ${rule}`);
    };
    if (container.securityContext?.readOnlyRootFilesystem !== true)
      inContainer('readOnlyRootFilesystem must be true');
    const tmpMount = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
    if (!tmp || tmpMount?.name !== tmp.name)
      inContainer('/tmp must be an emptyDir volume (the only writable path)');
    if (!container.image || !/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(container.image))
      inContainer(`image ${container.image ?? '(none)'} must carry a tag or digest`);
    if (container.image?.endsWith(':latest')) inContainer('image must not use the latest tag');
    for (const resource of ['cpu', 'memory'])
      for (const bound of ['requests', 'limits'] as const)
        if (container.resources?.[bound]?.[resource] === undefined)
          inContainer(`resources.${bound}.${resource} must be set`);
    for (const [name, probe] of [
      ['startupProbe', container.startupProbe],
      ['livenessProbe', container.livenessProbe],
      ['readinessProbe', container.readinessProbe],
    ] as const)
      problems.push(...probeViolations(`${where}: container ${container.name}`, name, probe));
  }
  return problems;
}

function probeViolations(where: string, name: string, probe: Probe | undefined): string[] {
  if (!probe) return [`${where}: ${name} must be set`];
  if (!probe.httpGet?.path) return [`${where}: ${name} must be an httpGet probe with a path`];
  return [];
}

/** Rollout settings of a Deployment. */
export function rolloutViolations(where: string, deployment: Deployment): string[] {
  const problems: string[] = [];
  const fail = (rule: string) => problems.push(`${where}: ${rule}`);
  const spec = deployment.spec;
  if (!spec) return [`${where}: spec must be set`];
  if (spec.strategy?.type !== 'RollingUpdate') fail('strategy.type must be RollingUpdate');
  if (spec.strategy?.rollingUpdate?.maxUnavailable !== 0)
    fail('strategy.rollingUpdate.maxUnavailable must be 0');
  if (!spec.minReadySeconds || spec.minReadySeconds <= 0) fail('minReadySeconds must be > 0');
  if (spec.progressDeadlineSeconds === undefined) fail('progressDeadlineSeconds must be set');
  if (spec.revisionHistoryLimit === undefined) fail('revisionHistoryLimit must be set');
  return problems;
}

const RECOMMENDED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
] as const;

/** Every recommended label on an object (and on its pod template, for a Deployment). */
export function labelViolations(env: string, object: K8sObject): string[] {
  const where = `${env} ${objectName(object)}`;
  const sets: [string, Record<string, string> | undefined][] = [['', object.metadata.labels]];
  if (object.kind === 'Deployment')
    sets.push([' pod template', (object as Deployment).spec?.template.metadata?.labels]);
  const problems: string[] = [];
  for (const [part, labels] of sets)
    for (const label of RECOMMENDED_LABELS)
      if (!labels?.[label]) problems.push(`${where}${part}: label ${label} must be set`);
  return problems;
}

/** Pod spec of a Deployment with the scope name used in messages. */
export function podScope(env: string, deployment: Deployment): Scope {
  const where = `${env} Deployment/${deployment.metadata?.name ?? '?'}`;
  if (!deployment.spec) throw new Error(`${where}: spec must be set`);
  return { where, pod: deployment.spec.template.spec ?? { containers: [] } };
}
