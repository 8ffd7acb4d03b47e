# The three nodes: one kubeadm control plane and the workers, on fixed internal addresses, with
# the nodes' own service account and the boot-time bootstrap from bootstrap.tf.
#
# The startup script is passed as metadata["startup-script"], which changes in place: an apply
# that edits a script updates metadata without recreating or rebooting a node (unlike
# metadata_startup_script, which replaces the instance). The new script runs at the next boot.

locals {
  node_scopes = [
    "https://www.googleapis.com/auth/logging.write",
    "https://www.googleapis.com/auth/monitoring.write",
    # Read-only Compute API: the workers' guest-attribute read (IAM narrows it to one instance).
    "https://www.googleapis.com/auth/compute.readonly",
  ]

  common_metadata = {
    # SSH through OS Login (IAM decides who), never through keys pasted into metadata.
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "TRUE"
  }
}

resource "google_compute_instance" "control_plane" {
  name         = local.control_plane.name
  description  = "kubeadm control plane of the ${var.name_prefix} cluster."
  zone         = var.zone
  machine_type = var.machine_type
  tags         = [local.tags.node, local.tags.control_plane]
  labels       = { role = local.control_plane.role }

  allow_stopping_for_update = true

  boot_disk {
    initialize_params {
      image = var.image
      size  = var.boot_disk_size_gb
      type  = var.boot_disk_type
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.nodes.id
    network_ip = google_compute_address.control_plane_internal.address

    access_config {
      nat_ip = google_compute_address.control_plane_external.address
    }
  }

  service_account {
    email  = google_service_account.node.email
    scopes = local.node_scopes
  }

  metadata = merge(local.common_metadata, {
    startup-script = local.control_plane_startup_script
    # The control plane publishes the CA hash here for the workers' join.
    enable-guest-attributes = "TRUE"
  })

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  lifecycle {
    # The provider replaces an instance when any of these changes (ForceNew in google 6.49.3's
    # compute_instance schema): a new image in the family, or a new disk size or type, must not
    # replace a running node (and with the control plane, the cluster). They apply to new nodes.
    ignore_changes = [
      boot_disk[0].initialize_params[0].image,
      boot_disk[0].initialize_params[0].size,
      boot_disk[0].initialize_params[0].type,
    ]

    precondition {
      condition     = length(local.control_plane_startup_script) < local.metadata_value_limit
      error_message = "control-plane startup-script: over GCE's 256 KiB metadata value limit; shrink k8s/cluster/ or opentofu/scripts/."
    }
  }
}

resource "google_compute_instance" "worker" {
  for_each = local.workers

  name         = each.key
  description  = "kubeadm worker of the ${var.name_prefix} cluster."
  zone         = var.zone
  machine_type = var.machine_type
  tags         = [local.tags.node, local.tags.worker]
  labels       = { role = each.value.role }

  allow_stopping_for_update = true

  boot_disk {
    initialize_params {
      image = var.image
      size  = var.boot_disk_size_gb
      type  = var.boot_disk_type
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.nodes.id
    network_ip = google_compute_address.worker_internal[each.key].address

    access_config {
      nat_ip = google_compute_address.worker_external[each.key].address
    }
  }

  service_account {
    email  = google_service_account.node.email
    scopes = local.node_scopes
  }

  metadata = merge(local.common_metadata, {
    startup-script = local.worker_startup_scripts[each.key]
  })

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  lifecycle {
    ignore_changes = [
      boot_disk[0].initialize_params[0].image,
      boot_disk[0].initialize_params[0].size,
      boot_disk[0].initialize_params[0].type,
    ]
  }

  # Not needed for correctness (workers wait for the API server), but it keeps the join within
  # the workers' wait window on a first apply.
  depends_on = [google_compute_instance.control_plane]
}
