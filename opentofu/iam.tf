# The nodes' own service account, with only what they use: writing logs and metrics, and (for the
# workers' join) reading the control plane's guest attributes, granted on that one instance.
resource "google_service_account" "node" {
  account_id   = "${var.name_prefix}-node"
  display_name = "${var.name_prefix} Kubernetes nodes"
  description  = "Runs the ${var.name_prefix} cluster nodes; no access to other resources."
}

resource "google_project_iam_member" "node" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.node.email}"
}

# A single permission, so a worker can read the CA hash the control plane publishes and nothing
# else (roles/compute.viewer would expose the whole project's inventory).
resource "google_project_iam_custom_role" "guest_attributes_reader" {
  role_id     = replace("${var.name_prefix}_guest_attributes_reader", "-", "_")
  title       = "${var.name_prefix} guest attributes reader"
  description = "Read an instance's guest attributes (the kubeadm CA hash published by the control plane)."
  permissions = ["compute.instances.getGuestAttributes"]
}

resource "google_compute_instance_iam_member" "workers_read_ca_hash" {
  project       = var.project_id
  zone          = var.zone
  instance_name = google_compute_instance.control_plane.name
  role          = google_project_iam_custom_role.guest_attributes_reader.id
  member        = "serviceAccount:${google_service_account.node.email}"

  lifecycle {
    # An instance's IAM policy is deleted with the instance, but a replacement keeps the same
    # name, so nothing in this binding's arguments changes and it would not be created again:
    # the workers would wait for the CA hash forever. instance_id is new for every instance.
    replace_triggered_by = [google_compute_instance.control_plane.instance_id]
  }
}
