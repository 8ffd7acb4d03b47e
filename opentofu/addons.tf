# Pinned add-ons the control plane installs from the internet at boot (too large for the 256 KiB
# startup-script metadata): the manifest's release tag and its sha256, checked by
# scripts/control-plane.sh before anything is applied.
locals {
  canal = {
    # Calico v3.29 is tested against Kubernetes 1.29 to 1.32 (v3.30 only from 1.31 on), so it
    # covers both supported minors, 1.30 and 1.31. Its canal.yaml is Calico's policy engine (Felix)
    # with Flannel v0.24.4 for VXLAN networking on 10.244.0.0/16, Typha disabled.
    version = "v3.29.7"
    # sha256 of manifests/canal.yaml at the tag, computed from the projectcalico/calico git
    # repository (git show v3.29.7:manifests/canal.yaml | sha256sum, 324735 bytes); the URL
    # serves that blob unchanged. To upgrade, take both values from the same release:
    # curl -fsSL https://raw.githubusercontent.com/projectcalico/calico/<tag>/manifests/canal.yaml | sha256sum
    manifest_sha256 = "fafa137db23119bdb525924c23d09e476e538bd282df904d123ef117d0db8528"
  }
}
