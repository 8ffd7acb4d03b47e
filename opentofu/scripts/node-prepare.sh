#!/usr/bin/env bash
# Preparation every node needs before kubeadm (sourced by control-plane.sh and worker.sh): swap
# off, kernel modules and sysctl for bridged pod traffic, containerd with the systemd cgroup
# driver, and kubelet/kubeadm/kubectl from the pinned Kubernetes minor's package repository, held
# there. Every function checks before it changes anything, so running it again on every boot is
# a no-op on a prepared node.
# Needs: KUBERNETES_MINOR (e.g. 1.30), POD_CIDR (e.g. 10.244.0.0/16). Uses the helpers from lib.sh.

export DEBIAN_FRONTEND=noninteractive
K8S_KEYRING_PATH=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
K8S_PACKAGES=(kubelet kubeadm kubectl)
# registry.k8s.io/pause tag kubeadm 1.30 expects; containerd's own default is older, and kubeadm
# warns when the sandbox image differs from the one it pre-pulls.
PAUSE_IMAGE=registry.k8s.io/pause:3.9
APT_UPDATED=false
# On a first boot unattended-upgrades often holds the dpkg lock for a while: wait, don't fail.
APT_LOCK_WAIT=(-o DPkg::Lock::Timeout=600)

apt_update_once() {
  if [[ $APT_UPDATED == false ]]; then
    apt-get update -q "${APT_LOCK_WAIT[@]}"
    APT_UPDATED=true
  fi
}

apt_install() {
  apt_update_once
  apt-get install -y -q "${APT_LOCK_WAIT[@]}" "$@"
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

configure_containerd() {
  local defaults desired
  defaults=$(containerd config default)
  if ! grep -q 'SystemdCgroup = false' <<<"$defaults"; then
    die "containerd's default config has no 'SystemdCgroup = false' line to switch; check the containerd version"
  fi
  # The kubelet uses the systemd cgroup driver (kubeadm's default); the runtime must match.
  desired=$(sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
    -e "s#sandbox_image = \".*\"#sandbox_image = \"${PAUSE_IMAGE}\"#" <<<"$defaults")
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

# The instance metadata holds the bootstrap token (and the metadata server hands out the node's
# service-account tokens): pods must not reach it. Host processes (kubelet, this script) are not
# forwarded traffic, so they keep access. The rule does not survive a reboot; this step, run on
# every boot, puts it back.
block_pod_metadata_access() {
  local rule=(FORWARD -s "$POD_CIDR" -d 169.254.169.254/32 -j DROP)
  if ! iptables -w -C "${rule[@]}" 2>/dev/null; then
    iptables -w -I "${rule[@]}"
    log "pods ($POD_CIDR) blocked from the metadata server"
  fi
}

prepare_node() {
  require_match KUBERNETES_MINOR '^1\.[0-9]{2}$' 'a Kubernetes minor version such as 1.30'
  require_match POD_CIDR '^[0-9.]+/[0-9]{1,2}$' 'an IPv4 CIDR such as 10.244.0.0/16'
  step "turn swap off" disable_swap
  step "load the overlay and br_netfilter kernel modules" load_kernel_modules
  step "apply the Kubernetes networking sysctls" apply_sysctl
  step "install containerd" install_containerd
  step "configure containerd with the systemd cgroup driver" configure_containerd
  step "add the Kubernetes v${KUBERNETES_MINOR} package repository" add_kubernetes_repo
  step "install and hold kubelet, kubeadm and kubectl ${KUBERNETES_MINOR}" install_kubernetes_packages
  step "block pods from the instance metadata server" block_pod_metadata_access
}
