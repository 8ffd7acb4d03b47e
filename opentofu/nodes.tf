# The cluster's shape in one place: node names, roles and fixed internal addresses, network
# constants, labels and the NodePorts. Only variables and the k8s/ manifests feed it (no
# resources), so tests evaluate it offline.
locals {
  # Pod network Flannel's published manifest is configured for (its net-conf.json); kubeadm
  # hands it to the controller manager, which gives each node its /24 from it.
  pod_cidr = "10.244.0.0/16"
  # kubeadm's default Service range; must not overlap the subnet or the pod network.
  service_cidr = "10.96.0.0/12"
  # First node address in the subnet: .0 and .1 are reserved by GCP, .2 is left free.
  first_node_host = 3
  api_server_port = 6443
  # etcd's plain-HTTP /metrics and /health listener. kubeadm binds it to 127.0.0.1:2381
  # (kubeadmconstants.EtcdMetricsPort); the bootstrap adds the node address on the same port so
  # Prometheus (k8s/monitoring, job etcd) can scrape it, and firewall.tf opens it to the nodes.
  etcd_metrics_port = 2381

  control_plane = {
    name = "${var.name_prefix}-control-plane"
    role = "control-plane"
    ip   = cidrhost(var.subnet_cidr, local.first_node_host)
  }

  # Keyed by name, so removing one worker never renumbers the others.
  workers = {
    for index in range(var.worker_count) : "${var.name_prefix}-worker-${index + 1}" => {
      name = "${var.name_prefix}-worker-${index + 1}"
      role = "worker"
      ip   = cidrhost(var.subnet_cidr, local.first_node_host + 1 + index)
    }
  }

  nodes = merge({ (local.control_plane.name) = local.control_plane }, local.workers)

  # Firewall rules select nodes by these network tags.
  tags = {
    node          = "${var.name_prefix}-node"
    control_plane = "${var.name_prefix}-control-plane"
    worker        = "${var.name_prefix}-worker"
  }

  labels = merge({
    app        = "hello-api"
    cluster    = var.name_prefix
    managed-by = "opentofu"
  }, var.labels)

  # NodePorts read from the manifests that set them, never written down here: each environment's
  # from its overlay's Service patch (k8s/overlays/<env>/service-patch.yaml, keyed by the folder),
  # Prometheus's from its Service. scripts/lib/environments.ts reads the same files.
  k8s_dir = "${path.module}/../k8s"
  node_ports = merge(
    {
      for patch in fileset("${local.k8s_dir}/overlays", "*/service-patch.yaml") :
      dirname(patch) => one(yamldecode(file("${local.k8s_dir}/overlays/${patch}")).spec.ports).nodePort
    },
    {
      prometheus = one(yamldecode(file("${local.k8s_dir}/monitoring/prometheus/service.yaml")).spec.ports).nodePort
    },
  )
}
