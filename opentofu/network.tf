# The cluster's own VPC (no default network and none of its permissive rules), one subnet whose
# range holds the documented node addresses, and static internal and external addresses so node
# IPs survive instance replacement.
resource "google_compute_network" "cluster" {
  name                    = "${var.name_prefix}-network"
  description             = "Network of the ${var.name_prefix} kubeadm cluster."
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "nodes" {
  name          = "${var.name_prefix}-nodes"
  description   = "Nodes of the ${var.name_prefix} cluster; pods use Flannel's overlay, not this range."
  network       = google_compute_network.cluster.id
  region        = var.region
  ip_cidr_range = var.subnet_cidr
  # Lets nodes reach Google APIs (guest attributes, logging) over internal routes.
  private_ip_google_access = true

  lifecycle {
    precondition {
      condition     = startswith(var.zone, "${var.region}-")
      error_message = "zone: ${var.zone} is not in region ${var.region}; set both (for example us-central1 and us-central1-a)."
    }
  }
}

resource "google_compute_address" "control_plane_internal" {
  name         = "${local.control_plane.name}-internal"
  description  = "Fixed internal address of the control plane (API server endpoint for the workers)."
  region       = var.region
  subnetwork   = google_compute_subnetwork.nodes.id
  address_type = "INTERNAL"
  address      = local.control_plane.ip
}

resource "google_compute_address" "worker_internal" {
  for_each = local.workers

  name         = "${each.key}-internal"
  description  = "Fixed internal address of worker ${each.key}."
  region       = var.region
  subnetwork   = google_compute_subnetwork.nodes.id
  address_type = "INTERNAL"
  address      = each.value.ip
}

resource "google_compute_address" "control_plane_external" {
  name         = "${local.control_plane.name}-external"
  description  = "External address of the control plane: kubectl endpoint (in the API server certificate) and NodePorts."
  region       = var.region
  address_type = "EXTERNAL"
}

resource "google_compute_address" "worker_external" {
  for_each = local.workers

  name         = "${each.key}-external"
  description  = "External address of worker ${each.key} (NodePorts, package downloads)."
  region       = var.region
  address_type = "EXTERNAL"
}
