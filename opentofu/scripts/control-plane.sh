#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Control-plane bootstrap, run by the GCE guest agent on every boot (see startup.sh.tftpl).
# Prepares the node, runs `kubeadm init` until it has once completed (and resumes an init that
# stopped half-way), then converges what the cluster needs: the API server's trust in GitHub
# Actions' OIDC tokens, the workers' bootstrap token, the CA hash and certificate the workers and
# the deploy job read, Canal, the add-ons and namespaces from k8s/cluster/ and the deploy
# identities from k8s/access/. It never runs `kubeadm reset` (docs/infrastructure.md,
# "Recovering").
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BOOTSTRAP_ROLE=control-plane
# shellcheck source=lib.sh
. "${SCRIPT_DIR}/lib.sh"
# shellcheck source=node-prepare.sh
. "${SCRIPT_DIR}/node-prepare.sh"

KUBE_DIR="${BOOTSTRAP_ROOT}/etc/kubernetes"
ADMIN_CONF="${KUBE_DIR}/admin.conf"
CA_CERT="${KUBE_DIR}/pki/ca.crt"
# kubeadm writes admin.conf in its kubeconfig phase, long before init is done: only this marker,
# written after `kubeadm init` exited 0, says the cluster was set up completely.
INIT_MARKER="${KUBE_DIR}/k8s-bootstrap-init-complete"
# The API server's structured authentication configuration (mounted into its static pod, see
# the kubeadm configuration below). The API server reloads it when it changes.
AUTHN_HOST_DIR=/etc/kubernetes/authentication
AUTHN_CONFIG="${BOOTSTRAP_ROOT}${AUTHN_HOST_DIR}/config.yaml"
# Holds the bootstrap token: written to the root-only install directory, replaced every boot.
KUBEADM_CONFIG="${KUBEADM_CONFIG:-${SCRIPT_DIR}/kubeadm-config.yaml}"
ADDONS_DIR="${ADDONS_DIR:-${SCRIPT_DIR}/addons}"
ACCESS_DIR="${ACCESS_DIR:-${SCRIPT_DIR}/access}"
CANAL_MANIFEST="${CANAL_MANIFEST:-${SCRIPT_DIR}/canal.yaml}"
API_WAIT_ATTEMPTS="${API_WAIT_ATTEMPTS:-120}"
# 60 x 5 s: an apply right after init can meet an API server that is still starting, CRDs that
# are not yet established or an APIService without endpoints; all of that passes within minutes.
APPLY_ATTEMPTS="${APPLY_ATTEMPTS:-60}"
# Guest attributes the workers (worker.sh) and the deploy job read through the Compute API.
CA_HASH_ATTRIBUTE=kubeadm/ca-cert-hash
CA_CERT_ATTRIBUTE=kubeadm/ca-cert

validate_config() {
  require_match NODE_NAME "$NODE_NAME_PATTERN" 'the instance name (lowercase RFC 1123 label)'
  require_match NODE_INTERNAL_IP "$IPV4_PATTERN" 'an IPv4 address'
  require_match API_SERVER_EXTERNAL_IP "$IPV4_PATTERN" 'an IPv4 address'
  require_match SERVICE_CIDR '^[0-9.]+/[0-9]{1,2}$' 'an IPv4 CIDR such as 10.96.0.0/12'
  require_match ETCD_METRICS_PORT '^[1-9][0-9]{0,4}$' "a TCP port such as 2381 (kubeadm's etcd metrics port)"
  require_match CANAL_VERSION '^v[0-9]+\.[0-9]+\.[0-9]+$' 'a pinned Calico release tag such as v3.29.7 (never latest)'
  require_match CANAL_MANIFEST_SHA256 '^[0-9a-f]{64}$' "the sha256 of that release's manifests/canal.yaml"
  require_match BOOTSTRAP_TOKEN "$TOKEN_PATTERN" '[a-z0-9]{6}.[a-z0-9]{16}' secret
  require_match BOOTSTRAP_TOKEN_TTL '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$' 'a duration such as 24h or 0s'
  require_match GITHUB_REPOSITORY "$GITHUB_REPOSITORY_PATTERN" 'OWNER/REPO of the GitHub repository that deploys'
  require_match GITHUB_REPOSITORY_ID '^([0-9]+)?$' "empty, or the repository's numeric ID"
  require_match OIDC_ISSUER_URL '^https://[a-z0-9.-]+(/[A-Za-z0-9._~/-]*)?$' 'the https URL of the token issuer'
  require_match OIDC_AUDIENCE '^[A-Za-z0-9._:/-]{1,128}$' 'the audience the deploy job requests its token for'
  require_match OIDC_USERNAME_PREFIX '^[a-z0-9-]+:$' 'a prefix such as github: (kept apart from system: users)'
}

# kubeadm's v1beta3 configuration (read by kubeadm 1.30 and 1.31). Flags cannot carry the API
# server's extra volume, and kubeadm refuses most flags next to --config. In v1beta3 every
# extraArgs is a map of flag name (without dashes) to value, and replaces kubeadm's own value of
# that flag (kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta3/; v1beta4 made it a
# list of name/value pairs).
write_kubeadm_config() {
  local version
  version=$(kubeadm version -o short)
  write_if_changed "$KUBEADM_CONFIG" 0600 <<YAML || true
apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
bootstrapTokens:
  - token: "${BOOTSTRAP_TOKEN}"
    ttl: "${BOOTSTRAP_TOKEN_TTL}"
    groups: [system:bootstrappers:kubeadm:default-node-token]
    usages: [signing, authentication]
localAPIEndpoint:
  advertiseAddress: "${NODE_INTERNAL_IP}"
nodeRegistration:
  name: "${NODE_NAME}"
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: "${version}"
networking:
  podSubnet: "${POD_CIDR}"
  serviceSubnet: "${SERVICE_CIDR}"
etcd:
  local:
    # kubeadm serves etcd's plain-HTTP /metrics and /health on loopback only; the node address
    # lets Prometheus (job etcd) scrape it from a pod. Loopback stays first: kubeadm points the
    # etcd pod's probes at the first URL (GetEtcdProbeEndpoint in kubeadm's staticpod utils).
    extraArgs:
      listen-metrics-urls: "http://127.0.0.1:${ETCD_METRICS_PORT},http://${NODE_INTERNAL_IP}:${ETCD_METRICS_PORT}"
apiServer:
  # The external IP too, so kubectl from an admin machine verifies the certificate.
  certSANs: ["${API_SERVER_EXTERNAL_IP}", "${NODE_INTERNAL_IP}"]
  extraArgs:
    authentication-config: "${AUTHN_HOST_DIR}/config.yaml"
  extraVolumes:
    - name: authentication-config
      hostPath: "${AUTHN_HOST_DIR}"
      mountPath: "${AUTHN_HOST_DIR}"
      readOnly: true
      pathType: DirectoryOrCreate
YAML
}

# Structured authentication configuration (apiserver.config.k8s.io/v1beta1: beta and on by
# default in 1.30 and 1.31, alpha in 1.29). Chosen over the GA --oidc-* flags because the API
# server reloads this file when it changes (a new repository needs no restart) and because it
# can check claims with CEL. Only GitHub Actions jobs of GITHUB_REPOSITORY that run in a GitHub
# environment, with a token for OIDC_AUDIENCE, authenticate; the username is built from the
# repository and environment claims as "<prefix>repo:OWNER/REPO:environment:ENV", the same
# string as GitHub's classic `sub` claim, so it does not change when the repository switches to
# GitHub's immutable subject format (repo:OWNER@ID/REPO@ID:..., the default for repositories
# created or renamed after 2026-07-15). Optionally the numeric repository ID is pinned too,
# which a recycled name cannot forge.
write_authentication_config() {
  local id_rule=""
  if [[ -n $GITHUB_REPOSITORY_ID ]]; then
    id_rule=$(printf '      - expression: "claims.repository_id == %s"\n        message: the token was not issued to repository ID %s\n' \
      "'${GITHUB_REPOSITORY_ID}'" "$GITHUB_REPOSITORY_ID")
  fi
  if write_if_changed "$AUTHN_CONFIG" 0644 <<YAML; then
apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
jwt:
  - issuer:
      url: "${OIDC_ISSUER_URL}"
      audiences: ["${OIDC_AUDIENCE}"]
    claimValidationRules:
      - expression: "claims.repository == '${GITHUB_REPOSITORY}'"
        message: the token was not issued to a workflow of ${GITHUB_REPOSITORY}
      - expression: "has(claims.environment) && claims.environment != ''"
        message: only jobs that run in a GitHub environment may authenticate
${id_rule}
    claimMappings:
      username:
        expression: "'${OIDC_USERNAME_PREFIX}repo:' + claims.repository + ':environment:' + claims.environment"
YAML
    log "API server trusts ${OIDC_ISSUER_URL} tokens for audience ${OIDC_AUDIENCE} from ${GITHUB_REPOSITORY}"
  fi
}

kubeadm_init() {
  kubeadm init --config "$KUBEADM_CONFIG" --skip-token-print
}

# An init that stopped after its kubeconfig phase: run it again without the preflight checks
# (which would now fail on the files and ports the first attempt left behind). Every later phase
# reuses what already exists (certificates, kubeconfig files) or creates-or-updates it.
kubeadm_resume_init() {
  log "a previous kubeadm init did not complete (${ADMIN_CONF} exists, ${INIT_MARKER} does not): running it again"
  kubeadm init --config "$KUBEADM_CONFIG" --skip-phases=preflight --skip-token-print
}

mark_init_complete() {
  date -u +%Y-%m-%dT%H:%M:%SZ >"$INIT_MARKER"
}

api_server_ready() {
  kubectl get --raw /readyz >/dev/null 2>&1
}

# The token OpenTofu generated must exist for workers to join; it expires after its TTL and the
# controller manager deletes it, so every boot recreates it when missing.
ensure_bootstrap_token() {
  local token_id=${BOOTSTRAP_TOKEN%%.*}
  if kubectl -n kube-system get secret "bootstrap-token-${token_id}" >/dev/null 2>&1; then
    log "bootstrap token ${token_id} exists"
  else
    kubeadm token create "$BOOTSTRAP_TOKEN" --ttl "$BOOTSTRAP_TOKEN_TTL" >/dev/null
    log "bootstrap token ${token_id} created"
  fi
}

# sha256 of the CA's DER-encoded public key: the value `kubeadm join
# --discovery-token-ca-cert-hash` pins.
ca_cert_hash() {
  openssl x509 -pubkey -noout -in "$1" |
    openssl pkey -pubin -outform der |
    openssl dgst -sha256 -hex |
    sed 's/^.*= //'
}

# Writes a guest attribute and reads it back: GCE's documentation names no size limit for a
# value, only "small amounts of data" and a rate limit (10 queries a minute per VM), so a value
# the metadata server did not keep whole must stop the bootstrap here, not a deploy later.
publish_guest_attribute() {
  local key=$1 value=$2
  metadata_put "$key" "$value"
  if [[ $(metadata_get "$key") != "$value" ]]; then
    die "guest attribute ${key}: the metadata server returned a different value than the ${#value} bytes written"
  fi
}

# The hash for `kubeadm join`, and the CA certificate itself for the deploy job's kubeconfig.
# The certificate is published base64-encoded on one line (about 1.5 KB): exactly kubeconfig's
# certificate-authority-data, with no newline for curl --data or the JSON answer to mangle.
publish_cluster_ca() {
  local hash
  [[ -s $CA_CERT ]] || die "${CA_CERT} is missing although the cluster exists"
  hash="sha256:$(ca_cert_hash "$CA_CERT")"
  [[ $hash =~ ^sha256:[0-9a-f]{64}$ ]] || die "computed CA hash '${hash}' is not sha256:<64 hex>"
  publish_guest_attribute "$CA_HASH_ATTRIBUTE" "$hash"
  publish_guest_attribute "$CA_CERT_ATTRIBUTE" "$(base64 -w0 "$CA_CERT")"
  log "published ${hash} (${CA_HASH_ATTRIBUTE}) and the CA certificate (${CA_CERT_ATTRIBUTE})"
}

# Canal (Calico's policy engine over Flannel's VXLAN network) from its release tag. The manifest
# is too large to travel in the 256 KiB startup-script metadata, so it is downloaded, and applied
# only when its sha256 is the pinned one.
fetch_canal_manifest() {
  local url="https://raw.githubusercontent.com/projectcalico/calico/${CANAL_VERSION}/manifests/canal.yaml"
  local actual
  curl -fsSL --retry 5 -o "$CANAL_MANIFEST" "$url"
  actual=$(sha256sum "$CANAL_MANIFEST" | cut -d' ' -f1)
  if [[ $actual != "$CANAL_MANIFEST_SHA256" ]]; then
    rm -f "$CANAL_MANIFEST"
    die "${url}: sha256 ${actual} is not the pinned ${CANAL_MANIFEST_SHA256}; Canal not applied"
  fi
  log "Canal ${CANAL_VERSION} manifest verified (sha256 ${actual})"
}

# apply_until_accepted WHAT ARGS...: `kubectl apply ARGS`, retried while the API server is not
# ready for it yet.
apply_until_accepted() {
  local what=$1
  shift
  wait_until "kubectl apply of ${what}" "$APPLY_ATTEMPTS" kubectl apply "$@"
}

# k8s/cluster/ as delivered by OpenTofu (namespaces with their Pod Security labels, the admission
# policy that guards those labels, metrics-server).
apply_addons() {
  apply_until_accepted "the cluster add-ons" -k "$ADDONS_DIR"
}

# k8s/access/ with the repository OpenTofu was given: the subjects of the deployer RoleBindings.
apply_access() {
  write_if_changed "${ACCESS_DIR}/github-repository.env" 0644 <<<"GITHUB_REPOSITORY=${GITHUB_REPOSITORY}" || true
  apply_until_accepted "the deploy identities" -k "$ACCESS_DIR"
}

# The token-based deploy identities of earlier versions (a ServiceAccount per namespace whose
# 30-day tokens were the pipeline's KUBE_DEPLOY_TOKEN, and a ClusterRole that let it relabel its
# namespace): deleting the ServiceAccounts invalidates every token issued for them.
remove_legacy_deployers() {
  kubectl delete serviceaccounts,clusterroles,clusterrolebindings --all-namespaces --ignore-not-found \
    -l app.kubernetes.io/part-of=hello-api,app.kubernetes.io/component=deploy-access
}

main() {
  validate_config
  prepare_node
  step "write the kubeadm configuration" write_kubeadm_config
  step "trust GitHub Actions OIDC tokens for ${OIDC_AUDIENCE}" write_authentication_config
  if [[ ! -f $ADMIN_CONF ]]; then
    step "kubeadm init (first boot of the control plane)" kubeadm_init
    mark_init_complete
  elif [[ ! -f $INIT_MARKER ]]; then
    step "kubeadm init (resuming an init that did not complete)" kubeadm_resume_init
    mark_init_complete
  else
    log "cluster already initialised (${INIT_MARKER} exists): kubeadm init skipped"
  fi
  export KUBECONFIG="$ADMIN_CONF"
  step "wait for the API server" wait_until "API server on ${NODE_NAME}" "$API_WAIT_ATTEMPTS" api_server_ready
  step "ensure the workers' bootstrap token" ensure_bootstrap_token
  step "publish the cluster CA for the workers and the deploy job" publish_cluster_ca
  step "download the Canal ${CANAL_VERSION} manifest and check its sha256" fetch_canal_manifest
  step "apply Canal ${CANAL_VERSION}" apply_until_accepted "Canal ${CANAL_VERSION}" -f "$CANAL_MANIFEST"
  step "apply the cluster add-ons" apply_addons
  step "apply the deploy identities for ${GITHUB_REPOSITORY}" apply_access
  step "remove the token-based deploy identities of earlier versions" remove_legacy_deployers
  log "control plane bootstrap complete"
}

main "$@"
