# Provider configuration: one project, one region and zone for every resource.
provider "google" {
  project = var.project_id
  region  = var.region
  zone    = var.zone

  # Added to every resource that supports labels, so cost reports can group the cluster.
  default_labels = local.labels
}
