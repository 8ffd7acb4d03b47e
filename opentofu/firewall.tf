# Ingress rules, one per purpose, selected by network tags (nodes.tf). The VPC denies all other
# ingress. Rules with outside sources refuse 0.0.0.0/0 unless allow_world_access says so, and
# are left out entirely while their source list is empty.

# --- Between nodes -------------------------------------------------------------------------

resource "google_compute_firewall" "node_to_api_server" {
  name        = "${var.name_prefix}-node-to-api-server"
  description = "Kubelets and pods (masqueraded to node addresses) reach the API server."
  network     = google_compute_network.cluster.name
  direction   = "INGRESS"
  source_tags = [local.tags.node]
  target_tags = [local.tags.control_plane]

  allow {
    protocol = "tcp"
    ports    = [tostring(local.api_server_port)]
  }
}

resource "google_compute_firewall" "node_to_kubelet" {
  name        = "${var.name_prefix}-node-to-kubelet"
  description = "The API server (logs, exec, port-forward) and metrics-server reach each kubelet."
  network     = google_compute_network.cluster.name
  direction   = "INGRESS"
  source_tags = [local.tags.node]
  target_tags = [local.tags.node]

  allow {
    protocol = "tcp"
    ports    = ["10250"]
  }
}

# Prometheus (k8s/monitoring, job etcd) scrapes etcd's metrics listener on the control plane's
# address. Its pod's traffic to a node address leaves its own node masqueraded to that node's
# primary IP: Canal runs flanneld with --ip-masq (projectcalico/calico v3.29.7
# manifests/canal.yaml, canal-config "masquerade"), whose rule masquerades anything from the pod
# network to outside it (flannel-io/flannel pkg/trafficmngr/iptables/iptables.go, MasqRules:
# "-s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE"); so the node tag is the right source and
# no pod range is admitted. Only metrics and health are served there (etcd --listen-metrics-urls),
# never the client API (2379: TLS with client certificates, and closed by this firewall).
resource "google_compute_firewall" "node_to_etcd_metrics" {
  name        = "${var.name_prefix}-node-to-etcd-metrics"
  description = "Prometheus (from any node, masqueraded) scrapes etcd's plain-HTTP metrics listener on the control plane."
  network     = google_compute_network.cluster.name
  direction   = "INGRESS"
  source_tags = [local.tags.node]
  target_tags = [local.tags.control_plane]

  allow {
    protocol = "tcp"
    ports    = [tostring(local.etcd_metrics_port)]
  }
}

# Canal needs this one port and nothing more: its networking is Flannel's VXLAN (canal.yaml sets no
# port, so Flannel uses the Linux kernel's default 8472, flannel-io/flannel
# Documentation/backends.md; Calico's requirements table says 4789, which is Flannel's Windows
# port). Calico's own ports do not apply: no BGP (TCP 179) or IP-in-IP (it does not route), Typha
# is disabled in canal.yaml (TCP 5473), and Felix's health port listens on localhost.
resource "google_compute_firewall" "node_flannel_vxlan" {
  name        = "${var.name_prefix}-node-flannel-vxlan"
  description = "Canal's Flannel VXLAN overlay (Linux kernel default port 8472): all pod-to-pod traffic between nodes."
  network     = google_compute_network.cluster.name
  direction   = "INGRESS"
  source_tags = [local.tags.node]
  target_tags = [local.tags.node]

  allow {
    protocol = "udp"
    ports    = ["8472"]
  }
}

resource "google_compute_firewall" "node_icmp" {
  name        = "${var.name_prefix}-node-icmp"
  description = "ICMP between nodes: path MTU discovery under the VXLAN overlay, and ping for diagnosis."
  network     = google_compute_network.cluster.name
  direction   = "INGRESS"
  source_tags = [local.tags.node]
  target_tags = [local.tags.node]

  allow {
    protocol = "icmp"
  }
}

# --- From outside ----------------------------------------------------------------------------

resource "google_compute_firewall" "admin_to_api_server" {
  count = length(var.admin_cidrs) > 0 ? 1 : 0

  name          = "${var.name_prefix}-admin-to-api-server"
  description   = "kubectl from the administrators' networks."
  network       = google_compute_network.cluster.name
  direction     = "INGRESS"
  source_ranges = var.admin_cidrs
  target_tags   = [local.tags.control_plane]

  allow {
    protocol = "tcp"
    ports    = [tostring(local.api_server_port)]
  }

  lifecycle {
    precondition {
      condition     = var.allow_world_access || !contains(var.admin_cidrs, "0.0.0.0/0")
      error_message = "admin_cidrs: 0.0.0.0/0 would expose the API server to the internet; set allow_world_access = true if that is really meant."
    }
  }
}

resource "google_compute_firewall" "ssh" {
  count = length(var.ssh_cidrs) > 0 ? 1 : 0

  name          = "${var.name_prefix}-ssh"
  description   = "SSH from IAP TCP forwarding or the administrators' networks."
  network       = google_compute_network.cluster.name
  direction     = "INGRESS"
  source_ranges = var.ssh_cidrs
  target_tags   = [local.tags.node]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  lifecycle {
    precondition {
      condition     = var.allow_world_access || !contains(var.ssh_cidrs, "0.0.0.0/0")
      error_message = "ssh_cidrs: 0.0.0.0/0 would expose SSH to the internet; use IAP (35.235.240.0/20) or set allow_world_access = true if that is really meant."
    }
  }
}

resource "google_compute_firewall" "service_node_ports" {
  count = length(var.service_cidrs) > 0 ? 1 : 0

  name          = "${var.name_prefix}-service-node-ports"
  description   = "hello-api NodePorts (dev, stage, prod) and Prometheus from the allowed networks."
  network       = google_compute_network.cluster.name
  direction     = "INGRESS"
  source_ranges = var.service_cidrs
  target_tags   = [local.tags.node]

  allow {
    protocol = "tcp"
    # Each NodePort on its own, as the manifests set them: a range would also open the ports
    # between them.
    ports = sort([for port in values(local.node_ports) : tostring(port)])
  }

  lifecycle {
    precondition {
      condition     = var.allow_world_access || !contains(var.service_cidrs, "0.0.0.0/0")
      error_message = "service_cidrs: 0.0.0.0/0 would expose the NodePorts to the internet; set allow_world_access = true if that is really meant."
    }
  }
}
