#!/usr/bin/env bash
# Connects a CI runner to the cluster with short-lived credentials only:
#   - network: IAP TCP tunnels (gcloud, authenticated by Workload Identity Federation, ~1 h token)
#     to the control plane's API server (6443) and to the environment's NodePort on a node, so
#     neither needs to be reachable from the internet;
#   - Kubernetes: the environment's namespace-scoped deploy ServiceAccount token (see docs/ci-cd.md).
# Writes a kubeconfig to $KUBECONFIG_PATH (mode 600) and leaves the tunnels running in the
# background, their PIDs in $KUBECONFIG_PATH.pids. Secrets arrive in environment variables, never
# on a command line, and are never printed.
#
# Required environment: GCP_PROJECT GCP_ZONE CONTROL_PLANE_INSTANCE NODE_INSTANCE NODE_PORT
#   NAMESPACE KUBE_CA_CERT (base64 PEM) KUBE_DEPLOY_TOKEN KUBECONFIG_PATH
set -euo pipefail

for name in GCP_PROJECT GCP_ZONE CONTROL_PLANE_INSTANCE NODE_INSTANCE NODE_PORT NAMESPACE \
  KUBE_CA_CERT KUBE_DEPLOY_TOKEN KUBECONFIG_PATH; do
  if [[ -z "${!name:-}" ]]; then
    echo "connect-cluster: environment variable $name is empty; set it as a GitHub environment secret or variable" >&2
    exit 2
  fi
done

tunnel() { # instance remote-port local-port
  gcloud compute start-iap-tunnel "$1" "$2" --local-host-port="127.0.0.1:$3" \
    --zone="$GCP_ZONE" --project="$GCP_PROJECT" >"$KUBECONFIG_PATH.tunnel-$3.log" 2>&1 &
  echo "$!" >>"$KUBECONFIG_PATH.pids"
}

wait_for_port() { # port deadline-seconds
  local deadline=$((SECONDS + $2))
  until (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "connect-cluster: IAP tunnel to 127.0.0.1:$1 not open after $2 s" >&2
      cat "$KUBECONFIG_PATH.tunnel-$1.log" >&2 || true
      exit 1
    fi
    sleep 1
  done
}

umask 077
: >"$KUBECONFIG_PATH.pids"
tunnel "$CONTROL_PLANE_INSTANCE" 6443 6443
tunnel "$NODE_INSTANCE" "$NODE_PORT" "$NODE_PORT"
wait_for_port 6443 60
wait_for_port "$NODE_PORT" 60

# Written with a here-document, so the token never appears in any process's arguments. The API
# server certificate names "kubernetes", not 127.0.0.1: verify it under that name.
ca_data="$(printf '%s' "$KUBE_CA_CERT" | tr -d '\n')"
cat >"$KUBECONFIG_PATH" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: hello-api
    cluster:
      server: https://127.0.0.1:6443
      tls-server-name: kubernetes
      certificate-authority-data: ${ca_data}
users:
  - name: deployer
    user:
      token: ${KUBE_DEPLOY_TOKEN}
contexts:
  - name: deploy
    context:
      cluster: hello-api
      user: deployer
      namespace: ${NAMESPACE}
current-context: deploy
KUBECONFIG
echo "connect-cluster: API server and NodePort $NODE_PORT reachable through IAP; kubeconfig at $KUBECONFIG_PATH"
