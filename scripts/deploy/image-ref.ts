// Image references as the pipeline accepts them: repository@sha256:<64 hex>, never a tag, so
// what was scanned and signed is exactly what runs.
export interface DigestRef {
  /** Repository without tag or digest, e.g. docker.io/acme/hello-api */
  name: string;
  /** sha256:<64 hex> */
  digest: string;
}

const DIGEST_REF = /^([a-z0-9](?:[a-z0-9._/:-]*[a-z0-9])?)@(sha256:[0-9a-f]{64})$/;

/** Parses "repo@sha256:..."; undefined when it is not a digest reference (or also has a tag). */
export function parseDigestRef(ref: string): DigestRef | undefined {
  const match = DIGEST_REF.exec(ref);
  if (!match?.[1] || !match[2]) return undefined;
  const name = match[1];
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  if (lastSegment.includes(':')) return undefined; // "repo:tag@sha256:..." mixes a tag in
  return { name, digest: match[2] };
}

/** "registry:5000/team/app:1.2@sha256:..." -> "registry:5000/team/app" (the kustomize image name). */
export function imageName(ref: string): string {
  const withoutDigest = ref.split('@')[0] ?? ref;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}
