#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Control-plane bootstrap, run by the GCE guest agent on every boot (see startup.sh.tftpl).
# Prepares the node, runs `kubeadm init` only when this node has no cluster yet, then converges
# what the cluster needs: the workers' bootstrap token, the CA hash the workers verify, Flannel,
# and the add-ons and application namespaces from k8s/cluster/. It never runs `kubeadm reset`:
# a failed init is left for a human to inspect (docs/infrastructure.md, "Recovering").
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
ADDONS_DIR="${ADDONS_DIR:-${SCRIPT_DIR}/addons}"
API_WAIT_ATTEMPTS="${API_WAIT_ATTEMPTS:-120}"
# Guest attribute the workers read through the Compute API (worker.sh).
CA_HASH_ATTRIBUTE=kubeadm/ca-cert-hash

validate_config() {
  require_match NODE_NAME "$NODE_NAME_PATTERN" 'the instance name (lowercase RFC 1123 label)'
  require_match NODE_INTERNAL_IP "$IPV4_PATTERN" 'an IPv4 address'
  require_match API_SERVER_EXTERNAL_IP "$IPV4_PATTERN" 'an IPv4 address'
  require_match SERVICE_CIDR '^[0-9.]+/[0-9]{1,2}$' 'an IPv4 CIDR such as 10.96.0.0/12'
  require_match FLANNEL_VERSION '^v[0-9]+\.[0-9]+\.[0-9]+$' 'a pinned release tag such as v0.26.7 (never latest)'
  require_match BOOTSTRAP_TOKEN "$TOKEN_PATTERN" '[a-z0-9]{6}.[a-z0-9]{16}' secret
  require_match BOOTSTRAP_TOKEN_TTL '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$' 'a duration such as 24h or 0s'
}

kubeadm_init() {
  local version
  version=$(kubeadm version -o short)
  # The external IP is in the certificate SANs so kubectl from an admin machine verifies it.
  kubeadm init \
    --node-name "$NODE_NAME" \
    --kubernetes-version "$version" \
    --apiserver-advertise-address "$NODE_INTERNAL_IP" \
    --apiserver-cert-extra-sans "${API_SERVER_EXTERNAL_IP},${NODE_INTERNAL_IP}" \
    --pod-network-cidr "$POD_CIDR" \
    --service-cidr "$SERVICE_CIDR" \
    --token "$BOOTSTRAP_TOKEN" \
    --token-ttl "$BOOTSTRAP_TOKEN_TTL" \
    --skip-token-print
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

publish_ca_hash() {
  local hash
  [[ -s $CA_CERT ]] || die "${CA_CERT} is missing although the cluster exists"
  hash="sha256:$(ca_cert_hash "$CA_CERT")"
  [[ $hash =~ ^sha256:[0-9a-f]{64}$ ]] || die "computed CA hash '${hash}' is not sha256:<64 hex>"
  metadata_put "$CA_HASH_ATTRIBUTE" "$hash"
  log "published ${hash} as guest attribute ${CA_HASH_ATTRIBUTE}"
}

apply_flannel() {
  kubectl apply -f "https://github.com/flannel-io/flannel/releases/download/${FLANNEL_VERSION}/kube-flannel.yml"
}

# k8s/cluster/ as delivered by OpenTofu (the application namespaces with their Pod Security
# labels, metrics-server): a kustomization when there is one, else plain manifests.
apply_addons() {
  if [[ -f ${ADDONS_DIR}/kustomization.yaml ]]; then
    kubectl apply -k "$ADDONS_DIR"
  elif compgen -G "${ADDONS_DIR}/*.yaml" >/dev/null; then
    kubectl apply -R -f "$ADDONS_DIR"
  else
    log "no cluster add-ons delivered in ${ADDONS_DIR}; nothing to apply"
  fi
}

main() {
  validate_config
  prepare_node
  if [[ -f $ADMIN_CONF ]]; then
    log "cluster already initialised (${ADMIN_CONF} exists): kubeadm init skipped"
  else
    step "kubeadm init (first boot of the control plane)" kubeadm_init
  fi
  export KUBECONFIG="$ADMIN_CONF"
  step "wait for the API server" wait_until "API server on ${NODE_NAME}" "$API_WAIT_ATTEMPTS" api_server_ready
  step "ensure the workers' bootstrap token" ensure_bootstrap_token
  step "publish the cluster CA hash for the workers" publish_ca_hash
  step "apply Flannel ${FLANNEL_VERSION}" apply_flannel
  step "apply the cluster add-ons" apply_addons
  log "control plane bootstrap complete"
}

main "$@"
