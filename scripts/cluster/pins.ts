// Every version the local kind cluster depends on, in one place: `make cluster-up` checks the
// installed tools against these at start, the docs and the CI job's install steps quote them, and
// test/cluster checks that nothing else in the repository pins a different one.

/**
 * kind v0.29.0: the newest release that publishes a Kubernetes 1.30 node image (v0.30.0 starts at
 * 1.31). Its kindnetd enforces NetworkPolicy (kube-network-policies is built into kindnetd since
 * v0.24.0: kubernetes-sigs/kind images/kindnetd/cmd/kindnetd/main.go at tag v0.24.0, absent at
 * v0.23.0), which the isolation checks of the e2e suite need.
 */
export const KIND_VERSION = 'v0.29.0';

/**
 * The v1.30 node image kind v0.29.0's release notes list, by digest (node images are supported
 * only with the kind release they were built for: kind.sigs.k8s.io/docs/design/node-image).
 * Cross-checked with kubernetes-sigs/cluster-api's kind mapper ("Pre-built images for Kind
 * v0.29"), which transcribes those release notes.
 */
export const KIND_NODE_IMAGE =
  'kindest/node:v1.30.13@sha256:397209b3d947d154f6641f2d0ce8d473732bd91c87d9575ade99049aa33cd648';

/** The Kubernetes minor the cluster runs; the manifests are validated against the same one. */
export const KUBERNETES_MINOR = '1.30';

/**
 * kubectl v1.30.14, the last 1.30 patch release. kubectl is supported within one minor version of
 * the API server (kubernetes.io/releases/version-skew-policy/#kubectl), so 1.29 to 1.31 pass the
 * start-up check; CI installs exactly this one.
 */
export const KUBECTL_VERSION = 'v1.30.14';
export const KUBECTL_SKEW_MINORS = 1;

/**
 * The registry the nodes pull the locally built image from: distribution's registry:2.8.3 by its
 * multi-arch index digest (the same digest pinned by several public projects; kind's "Local
 * Registry" guide runs a registry container exactly like this one).
 */
export const REGISTRY_IMAGE =
  'docker.io/library/registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373';

/**
 * Release downloads for CI (linux/amd64), each with its published sha256: kind's release asset
 * kind-linux-amd64 (its .sha256sum file) and kubectl from dl.k8s.io (its .sha256 file).
 */
export const DOWNLOADS = {
  kind: {
    url: `https://github.com/kubernetes-sigs/kind/releases/download/${KIND_VERSION}/kind-linux-amd64`,
    sha256: 'c72eda46430f065fb45c5f70e7c957cc9209402ef309294821978677c8fb3284',
  },
  kubectl: {
    url: `https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/amd64/kubectl`,
    sha256: '7ccac981ece0098284d8961973295f5124d78eab7b89ba5023f35591baa16271',
  },
} as const;
