#!/usr/bin/env bash
# Preparation every node needs before kubeadm (sourced by control-plane.sh and worker.sh): swap
# off, kernel modules and sysctl for bridged pod traffic, containerd with the systemd cgroup
# driver, the host tools kubeadm's preflight checks for, kubelet/kubeadm/kubectl from the pinned
# Kubernetes minor's package repository (held there), and the rule that keeps pods away from the
# metadata server. Every function checks before it changes anything, so running it again on
# every boot is a no-op on a prepared node.
# Needs: KUBERNETES_MINOR (e.g. 1.30), POD_CIDR (e.g. 10.244.0.0/16). Uses the helpers from lib.sh.

export DEBIAN_FRONTEND=noninteractive
K8S_KEYRING_PATH=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
K8S_PACKAGES=(kubelet kubeadm kubectl)
# Executables kubeadm's preflight requires (cmd/kubeadm/app/preflight/checks_linux.go) that the
# kubelet package no longer pulls in: from kubelet 1.31.14 on it drops its conntrack and iproute2
# dependencies (kubernetes/kubernetes#135306), but kubeadm below 1.32 still fails init with
# "[ERROR FileExisting-conntrack]" (the check was removed only for 1.32+, kubernetes#126953).
HOST_TOOL_PACKAGES=(conntrack iptables iproute2)
APT_UPDATED=false
# apt-get waits for the dpkg lock on its own (DPkg::Lock::Timeout), but that option does not cover
# the package lists lock that `apt-get update` takes, nor the archives lock of a download: with
# apt 2.6 (Debian 12) `apt-get update -o DPkg::Lock::Timeout=600` fails at once with
# "E: Could not get lock /var/lib/apt/lists/lock. It is held by process N" when the daily apt
# job is running (seen on this project's Debian 12 machine). Those failures are retried here.
APT_OPTIONS=(-q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=5)
APT_LOCK_ERROR='Could not get lock'
# 120 x POLL_INTERVAL_SECONDS (5 s) = 10 minutes, as long as the dpkg lock wait.
APT_LOCK_ATTEMPTS="${APT_LOCK_ATTEMPTS:-120}"

# apt_get ARGS...: apt-get, retried while another apt process holds one of its locks; any other
# failure is reported at once, with apt's own output.
apt_get() {
  local attempt output
  for ((attempt = 1; ; attempt++)); do
    if output=$(apt-get "${APT_OPTIONS[@]}" "$@" 2>&1); then
      printf '%s\n' "$output"
      return 0
    fi
    if [[ $output != *"$APT_LOCK_ERROR"* ]] || ((attempt >= APT_LOCK_ATTEMPTS)); then
      printf '%s\n' "$output" >&2
      return 1
    fi
    log "apt-get $1: another apt process holds its lock (attempt ${attempt} of ${APT_LOCK_ATTEMPTS}); retrying in ${POLL_INTERVAL_SECONDS}s"
    sleep "${POLL_INTERVAL_SECONDS}"
  done
}

apt_update_once() {
  if [[ $APT_UPDATED == false ]]; then
    apt_get update
    APT_UPDATED=true
  fi
}

apt_install() {
  apt_update_once
  apt_get install -y "$@"
}

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

pkg_version() {
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null
}

disable_swap() {
  # The kubelet refuses to start with swap on (its default failSwapOn).
  swapoff -a
  local fstab="${BOOTSTRAP_ROOT}/etc/fstab"
  if [[ -f $fstab ]] && grep -Eq '^[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]' "$fstab"; then
    sed -Ei 's/^([^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]].*)$/# disabled for the kubelet: \1/' "$fstab"
    log "commented out swap entries in ${fstab}"
  fi
}

load_kernel_modules() {
  # overlay for containerd's snapshotter; br_netfilter so iptables sees bridged pod traffic.
  write_if_changed "${BOOTSTRAP_ROOT}/etc/modules-load.d/kubernetes.conf" 0644 <<'CONF' || true
overlay
br_netfilter
CONF
  modprobe overlay
  modprobe br_netfilter
}

apply_sysctl() {
  if write_if_changed "${BOOTSTRAP_ROOT}/etc/sysctl.d/99-kubernetes.conf" 0644 <<'CONF'; then
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
CONF
    # Later boots get these from systemd-sysctl; only a change needs applying now.
    sysctl --system
  fi
}

install_containerd() {
  if pkg_installed containerd; then
    log "containerd already installed ($(pkg_version containerd))"
    return 0
  fi
  apt_install containerd
}

install_host_tools() {
  local package missing=()
  for package in "${HOST_TOOL_PACKAGES[@]}"; do
    pkg_installed "$package" || missing+=("$package")
  done
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}"
  else
    log "host tools already installed: ${HOST_TOOL_PACKAGES[*]}"
  fi
}

# The sandbox (pause) image the installed kubeadm pre-pulls and expects (3.9 for 1.30, 3.10 for
# 1.31): asked from kubeadm itself, with its exact version, so no list of tags is kept here.
pause_image() {
  local image
  image=$(kubeadm config images list --kubernetes-version "$(kubeadm version -o short)" | grep '/pause:')
  if [[ ! $image =~ ^[a-z0-9./-]+/pause:[0-9.]+$ ]]; then
    echo "kubeadm config images list named no pause image (got '${image}')" >&2
    return 1
  fi
  printf '%s' "$image"
}

configure_containerd() {
  local defaults desired pause
  pause=$(pause_image)
  defaults=$(containerd config default)
  if ! grep -q 'SystemdCgroup = false' <<<"$defaults"; then
    die "containerd's default config has no 'SystemdCgroup = false' line to switch; check the containerd version"
  fi
  # The kubelet uses the systemd cgroup driver (kubeadm's default); the runtime must match.
  desired=$(sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
    -e "s#sandbox_image = \".*\"#sandbox_image = \"${pause}\"#" <<<"$defaults")
  if write_if_changed "${BOOTSTRAP_ROOT}/etc/containerd/config.toml" 0644 <<<"$desired"; then
    systemctl restart containerd
  fi
  if ! systemctl is-enabled --quiet containerd; then
    systemctl enable --now containerd
  fi
}

add_kubernetes_repo() {
  local keyring="${BOOTSTRAP_ROOT}${K8S_KEYRING_PATH}"
  local repo="https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/"
  if ! command -v gpg >/dev/null; then
    apt_install gpg
  fi
  if [[ ! -s $keyring ]]; then
    mkdir -p "$(dirname "$keyring")"
    curl -fsSL --retry 5 "${repo}Release.key" | gpg --batch --yes --dearmor -o "$keyring"
    chmod 0644 "$keyring"
    log "installed the Kubernetes package signing key"
  fi
  if write_if_changed "${BOOTSTRAP_ROOT}/etc/apt/sources.list.d/kubernetes.list" 0644 \
    <<<"deb [signed-by=${K8S_KEYRING_PATH}] ${repo} /"; then
    APT_UPDATED=false
  fi
}

install_kubernetes_packages() {
  local package version missing=()
  for package in "${K8S_PACKAGES[@]}"; do
    if ! pkg_installed "$package"; then
      missing+=("$package")
      continue
    fi
    version=$(pkg_version "$package")
    if [[ $version != "${KUBERNETES_MINOR}."* ]]; then
      # Moving a cluster between minors is `kubeadm upgrade`, node by node; never an apt side effect.
      log "WARNING: ${package} ${version} is installed but KUBERNETES_MINOR is ${KUBERNETES_MINOR}; left unchanged (upgrade with kubeadm, see docs/infrastructure.md)"
    fi
  done
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}"
  else
    log "kubelet, kubeadm and kubectl already installed"
  fi
  local held
  held=$(apt-mark showhold)
  for package in "${K8S_PACKAGES[@]}"; do
    if ! grep -qx "$package" <<<"$held"; then
      apt-mark hold "$package"
    fi
  done
}

# GCE's metadata server, 169.254.169.254, hands out the node's service-account tokens and the
# instance metadata (which holds the bootstrap token): pods must not reach it. The same address is
# also the VPC's DNS resolver ("Each instance has a metadata server that also acts as a DNS
# resolver", cloud.google.com/compute/docs/internal-dns, and /etc/resolv.conf names it), and
# CoreDNS forwards every external lookup to it from a pod address: so pod traffic to it may be DNS
# (UDP and TCP 53) and nothing else. Host processes (kubelet, this script, kube-apiserver) are not
# forwarded traffic and keep full access.
#
# The rules live in the mangle table's FORWARD chain, not in filter FORWARD: a CNI's filter rules
# accept pod traffic before anything appended or inserted later (Flannel appends its ACCEPTs,
# Calico's Felix keeps its cali-FORWARD jump at the top of filter FORWARD and accepts allowed
# workload traffic there), and an ACCEPT ends only that table's chain, while a DROP in mangle
# FORWARD (which runs first) ends the packet. Felix manages mangle PREROUTING and POSTROUTING
# only (felix/rules/static.go), and kube-proxy and Flannel do not touch mangle FORWARD. Rules do
# not survive a reboot; this step, run on every boot, puts them back.
METADATA_SERVER=169.254.169.254/32
POD_METADATA_CHAIN=K8S-POD-TO-METADATA
POD_METADATA_RULES=(
  "-p udp -m udp --dport 53 -j RETURN"
  "-p tcp -m tcp --dport 53 -j RETURN"
  "-j DROP"
)

block_pod_metadata_access() {
  local rule complete=true jump=(FORWARD -s "$POD_CIDR" -d "$METADATA_SERVER" -j "$POD_METADATA_CHAIN")
  if ! iptables -w -t mangle -n -L "$POD_METADATA_CHAIN" >/dev/null 2>&1; then
    iptables -w -t mangle -N "$POD_METADATA_CHAIN"
    complete=false
  fi
  for rule in "${POD_METADATA_RULES[@]}"; do
    # shellcheck disable=SC2086 # each rule is a list of iptables words
    iptables -w -t mangle -C "$POD_METADATA_CHAIN" $rule 2>/dev/null || complete=false
  done
  if [[ $complete == false ]]; then
    # Order matters (the RETURNs before the DROP): rebuild the chain as a whole.
    iptables -w -t mangle -F "$POD_METADATA_CHAIN"
    for rule in "${POD_METADATA_RULES[@]}"; do
      # shellcheck disable=SC2086
      iptables -w -t mangle -A "$POD_METADATA_CHAIN" $rule
    done
    log "pods may send the metadata server DNS (UDP and TCP 53) only (chain ${POD_METADATA_CHAIN})"
  fi
  if ! iptables -w -t mangle -C "${jump[@]}" 2>/dev/null; then
    iptables -w -t mangle -I "${jump[@]}"
    log "pod traffic (${POD_CIDR}) to the metadata server goes through ${POD_METADATA_CHAIN}"
  fi
}

prepare_node() {
  require_match KUBERNETES_MINOR '^1\.[0-9]{2}$' 'a Kubernetes minor version such as 1.30'
  require_match POD_CIDR '^[0-9.]+/[0-9]{1,2}$' 'an IPv4 CIDR such as 10.244.0.0/16'
  step "turn swap off" disable_swap
  step "load the overlay and br_netfilter kernel modules" load_kernel_modules
  step "apply the Kubernetes networking sysctls" apply_sysctl
  step "install containerd" install_containerd
  step "install the host tools kubeadm checks for (${HOST_TOOL_PACKAGES[*]})" install_host_tools
  step "add the Kubernetes v${KUBERNETES_MINOR} package repository" add_kubernetes_repo
  step "install and hold kubelet, kubeadm and kubectl ${KUBERNETES_MINOR}" install_kubernetes_packages
  # After kubeadm is installed: the sandbox image comes from it.
  step "configure containerd with the systemd cgroup driver" configure_containerd
  step "allow pods only DNS to the instance metadata server" block_pod_metadata_access
}
