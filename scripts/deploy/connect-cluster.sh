#!/usr/bin/env bash
# Connects a CI runner to the cluster with short-lived credentials only, and stores none:
#   - network: IAP TCP tunnels (gcloud, authenticated by Workload Identity Federation, a one-hour
#     token) to the control plane's API server (6443) and to the environment's NodePort on the
#     same instance (kube-proxy serves every NodePort on every node), so neither is reachable
#     from the internet;
#   - trust: the cluster CA the control plane publishes as its guest attribute kubeadm/ca-cert,
#     checked against the hash it publishes beside it (kubeadm/ca-cert-hash);
#   - Kubernetes: kubectl runs scripts/deploy/github-oidc-credential.ts for a fresh GitHub OIDC
#     token of audience KUBE_OIDC_AUDIENCE whenever it needs one; the API server maps the token's
#     subject to the environment's deployer Role (k8s/access).
# Writes a kubeconfig to $KUBECONFIG_PATH (mode 600, no secret in it) and leaves the tunnels
# running in the background, their PIDs in $KUBECONFIG_PATH.pids.
#
# Required environment: GCP_PROJECT GCP_ZONE CONTROL_PLANE_INSTANCE NODE_PORT NAMESPACE
#   KUBE_OIDC_AUDIENCE KUBECONFIG_PATH
# Optional: API_LOCAL_PORT (6443) and NODE_LOCAL_PORT (NODE_PORT), the tunnels' local ports;
#   TUNNEL_WAIT_SECONDS (60).
set -euo pipefail

for name in GCP_PROJECT GCP_ZONE CONTROL_PLANE_INSTANCE NODE_PORT NAMESPACE KUBE_OIDC_AUDIENCE \
  KUBECONFIG_PATH; do
  if [[ -z "${!name:-}" ]]; then
    echo "connect-cluster: environment variable $name is empty; set it as a GitHub environment variable (tofu output github_variable_commands)" >&2
    exit 2
  fi
done
api_port="${API_LOCAL_PORT:-6443}"
node_port_local="${NODE_LOCAL_PORT:-$NODE_PORT}"
wait_seconds="${TUNNEL_WAIT_SECONDS:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

guest_attribute() { # key
  gcloud compute instances get-guest-attributes "$CONTROL_PLANE_INSTANCE" \
    --zone="$GCP_ZONE" --project="$GCP_PROJECT" --query-path="$1" --format='value(value)'
}

# The beta track, with --zone: GA gcloud reads the instance (compute.instances.get, which would also
# show the deploy identity the instance's metadata, bootstrap token included) before it connects;
# beta connects with nic0 and reads the instance only to explain a failed connection
# (google-cloud-sdk lib/surface/compute/start_iap_tunnel.py, fetch_instance_after_connect_error).
# The deploy service accounts hold iap.tunnelInstances.accessViaIAP and nothing to read instances.
declare -A tunnel_pids=()
tunnel() { # remote-port local-port
  gcloud beta compute start-iap-tunnel "$CONTROL_PLANE_INSTANCE" "$1" --local-host-port="127.0.0.1:$2" \
    --zone="$GCP_ZONE" --project="$GCP_PROJECT" >"$KUBECONFIG_PATH.tunnel-$2.log" 2>&1 &
  tunnel_pids[$2]=$!
  echo "$!" >>"$KUBECONFIG_PATH.pids"
}

# Until the tunnel's local port accepts a connection; a tunnel whose gcloud has exited (IAP
# refused it, the instance is gone) fails at once with gcloud's own words, not after the wait.
wait_for_port() { # local-port
  local deadline=$((SECONDS + wait_seconds))
  until (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    if ! kill -0 "${tunnel_pids[$1]}" 2>/dev/null; then
      echo "connect-cluster: IAP tunnel to 127.0.0.1:$1 ended before it opened; gcloud said:" >&2
      cat "$KUBECONFIG_PATH.tunnel-$1.log" >&2 || true
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "connect-cluster: IAP tunnel to 127.0.0.1:$1 not open after $wait_seconds s" >&2
      cat "$KUBECONFIG_PATH.tunnel-$1.log" >&2 || true
      exit 1
    fi
    sleep 1
  done
}

umask 077
# The CA, and the proof it is the one the control plane's kubeadm made: the sha256 of its public
# key (what `kubeadm join --discovery-token-ca-cert-hash` pins) must match the published hash.
ca_data="$(guest_attribute kubeadm/ca-cert | tr -d '\n')"
expected_hash="$(guest_attribute kubeadm/ca-cert-hash | tr -d '\n')"
ca_key_hash() {
  printf '%s' "$ca_data" | base64 -d | openssl x509 -pubkey -noout |
    openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1
}
actual_hash="sha256:$(ca_key_hash 2>/dev/null)" || actual_hash=''
if [[ -z "$ca_data" || "$actual_hash" != "$expected_hash" ]]; then
  echo "connect-cluster: the CA in guest attribute kubeadm/ca-cert of $CONTROL_PLANE_INSTANCE does not match kubeadm/ca-cert-hash ($expected_hash); has the control plane finished its bootstrap?" >&2
  exit 1
fi

: >"$KUBECONFIG_PATH.pids"
tunnel 6443 "$api_port"
tunnel "$NODE_PORT" "$node_port_local"
wait_for_port "$api_port"
wait_for_port "$node_port_local"

# The plugin runs under the same Node.js with tsx, from wherever kubectl is started.
tsx_loader="$(cd "$root" && node --input-type=module -e 'console.log(import.meta.resolve("tsx"))')"
# The API server certificate names "kubernetes", not 127.0.0.1: verify it under that name.
cat >"$KUBECONFIG_PATH" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: hello-api
    cluster:
      server: https://127.0.0.1:${api_port}
      tls-server-name: kubernetes
      certificate-authority-data: ${ca_data}
users:
  - name: github-actions
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: $(command -v node)
        args:
          - --import
          - ${tsx_loader}
          - ${root}/scripts/deploy/github-oidc-credential.ts
        env:
          - name: KUBE_OIDC_AUDIENCE
            value: "${KUBE_OIDC_AUDIENCE}"
        interactiveMode: Never
        provideClusterInfo: false
contexts:
  - name: deploy
    context:
      cluster: hello-api
      user: github-actions
      namespace: ${NAMESPACE}
current-context: deploy
KUBECONFIG
echo "connect-cluster: API server and NodePort $NODE_PORT of $CONTROL_PLANE_INSTANCE reachable through IAP; kubeconfig at $KUBECONFIG_PATH"
