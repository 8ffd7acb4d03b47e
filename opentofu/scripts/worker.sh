#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Worker bootstrap, run by the GCE guest agent on every boot (see startup.sh.tftpl).
# Prepares the node and, only when it has not joined yet, waits for the API server, reads the CA
# hash the control plane published as a guest attribute and runs `kubeadm join` pinned to that
# hash. Verification is never skipped: without a well-formed hash the worker does not join.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BOOTSTRAP_ROLE=worker
# shellcheck source=lib.sh
. "${SCRIPT_DIR}/lib.sh"
# shellcheck source=node-prepare.sh
. "${SCRIPT_DIR}/node-prepare.sh"

# Written by the kubelet's TLS bootstrap at the end of a successful join.
KUBELET_CONF="${BOOTSTRAP_ROOT}/etc/kubernetes/kubelet.conf"
COMPUTE_API_URL="${COMPUTE_API_URL:-https://compute.googleapis.com/compute/v1}"
# 360 x 5 s: the control plane's first boot (packages, init, Flannel) takes a few minutes.
API_WAIT_ATTEMPTS="${API_WAIT_ATTEMPTS:-360}"
CA_HASH_ATTEMPTS="${CA_HASH_ATTEMPTS:-120}"
CA_CERT_HASH=""

validate_config() {
  require_match NODE_NAME "$NODE_NAME_PATTERN" 'the instance name (lowercase RFC 1123 label)'
  require_match NODE_INTERNAL_IP "$IPV4_PATTERN" 'an IPv4 address'
  require_match CONTROL_PLANE_ENDPOINT '^[0-9.]+:[0-9]{1,5}$' 'host:port of the API server, such as 10.160.0.3:6443'
  require_match CONTROL_PLANE_NAME "$NODE_NAME_PATTERN" 'the control-plane instance name'
  require_match CONTROL_PLANE_ZONE '^[a-z]+-[a-z]+[0-9]+-[a-z]$' 'a GCE zone such as us-central1-a'
  require_match GCP_PROJECT '^[a-z][-a-z0-9]{4,28}[a-z0-9]$' 'a GCP project ID'
  require_match BOOTSTRAP_TOKEN "$TOKEN_PATTERN" '[a-z0-9]{6}.[a-z0-9]{16}' secret
}

# Reachability only (anonymous /livez): -k is safe here because nothing is trusted from this
# answer; trust comes from the CA hash kubeadm join checks.
api_server_answers() {
  curl -fsSk --max-time 5 -o /dev/null "https://${CONTROL_PLANE_ENDPOINT}/livez"
}

# Reads the control plane's guest attribute through the Compute API with this node's service
# account (allowed to read exactly that instance's guest attributes, see compute.tf).
read_published_ca_hash() {
  local token_json access_token response
  token_json=$(curl -fsS -H 'Metadata-Flavor: Google' \
    "${METADATA_URL}/instance/service-accounts/default/token") || return 1
  access_token=$(sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p' <<<"$token_json")
  [[ -n $access_token ]] || return 1
  # The bearer token goes through stdin, not argv, so other processes cannot read it.
  response=$(curl -fsS -H @- \
    "${COMPUTE_API_URL}/projects/${GCP_PROJECT}/zones/${CONTROL_PLANE_ZONE}/instances/${CONTROL_PLANE_NAME}/getGuestAttributes?variableKey=kubeadm%2Fca-cert-hash" \
    <<<"Authorization: Bearer ${access_token}") || return 1
  CA_CERT_HASH=$(sed -n 's/.*"variableValue" *: *"\([^"]*\)".*/\1/p' <<<"$response")
  [[ -n $CA_CERT_HASH ]]
}

fetch_ca_hash() {
  wait_until "CA hash published by ${CONTROL_PLANE_NAME}" "$CA_HASH_ATTEMPTS" read_published_ca_hash
  require_match CA_CERT_HASH '^sha256:[0-9a-f]{64}$' 'sha256:<64 lowercase hex digits>, as published by the control plane'
}

kubeadm_join() {
  kubeadm join "$CONTROL_PLANE_ENDPOINT" \
    --node-name "$NODE_NAME" \
    --token "$BOOTSTRAP_TOKEN" \
    --discovery-token-ca-cert-hash "$CA_CERT_HASH"
}

main() {
  validate_config
  prepare_node
  if [[ -f $KUBELET_CONF ]]; then
    log "already joined (${KUBELET_CONF} exists): kubeadm join skipped"
  else
    step "wait for the API server at ${CONTROL_PLANE_ENDPOINT}" \
      wait_until "API server at ${CONTROL_PLANE_ENDPOINT}" "$API_WAIT_ATTEMPTS" api_server_answers
    step "read the cluster CA hash published by ${CONTROL_PLANE_NAME}" fetch_ca_hash
    step "kubeadm join ${CONTROL_PLANE_ENDPOINT}" kubeadm_join
  fi
  log "worker bootstrap complete"
}

main "$@"
