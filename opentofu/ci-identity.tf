# The CI identity as code: GitHub Actions deploy jobs get short-lived GCP credentials through
# Workload Identity Federation (no service account key exists) and may do two things with them:
# open IAP TCP tunnels to the control plane, on the API server port and their own environment's
# NodePort only, and read the control plane's guest attributes (the cluster CA and its hash).
# The Kubernetes side of the same identity (the API server trusting the same jobs' OIDC tokens,
# the deployer Roles bound to their subjects) is github-oidc.tf, scripts/ and k8s/access.
# `tofu output -raw github_variable_commands` prints the GitHub environment variables to set.
# The optional integrations/github provider is not used: environments, reviewers and variables
# stay with the repository's admin (docs/ci-cd.md); this configuration needs no GitHub token.

# Workload Identity Federation and IAP need these APIs; left enabled on destroy, as other
# projects' workloads may use them too.
resource "google_project_service" "ci" {
  for_each = toset([
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "sts.googleapis.com",
    "iap.googleapis.com",
  ])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# A deleted pool keeps its ID for 30 days: to apply again within that time, undelete it
# (`gcloud iam workload-identity-pools undelete`), docs/ci-cd.md.
resource "google_iam_workload_identity_pool" "github" {
  workload_identity_pool_id = "${var.name_prefix}-github"
  display_name              = "${var.name_prefix} GitHub Actions"
  description               = "Deploy jobs of ${var.github_repository}."

  depends_on = [google_project_service.ci]
}

resource "google_iam_workload_identity_pool_provider" "github" {
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github-actions"
  display_name                       = "GitHub Actions OIDC"
  description                        = "Tokens of ${var.github_repository} only; stage and prod only from their branches."

  # google.subject is the token's sub (kept for audit logs). GCP refuses a mapped google.subject
  # over 127 bytes ("The size of mapped attribute exceeds the 127 bytes limit", as GitLab's
  # docs record it for their longer subjects, gitlab-org/gitlab!114147): "repo:OWNER/REPO:
  # environment:ENV" stays under it unless OWNER/REPO is longer than about 100 characters (more
  # with the ID-carrying immutable format). The service accounts below trust
  # attribute.environment, under the condition that the token is this repository's: that pair
  # does not depend on which of GitHub's two subject formats the repository uses.
  attribute_mapping = {
    "google.subject"         = "assertion.sub"
    "attribute.repository"   = "assertion.repository"
    "attribute.environment"  = "assertion.environment"
    "attribute.ref"          = "assertion.ref"
    "attribute.workflow_ref" = "assertion.job_workflow_ref"
  }
  attribute_condition = local.ci_attribute_condition

  oidc {
    issuer_uri = local.github_oidc.issuer
  }
}

resource "google_service_account" "ci" {
  for_each = local.ci_environments

  account_id   = local.ci_service_account_ids[each.key]
  display_name = "${var.name_prefix} CI deploy to ${each.key}"
  description  = "GitHub Actions deploy job of environment ${each.key}: IAP tunnels to the control plane and its guest attributes, nothing else."
}

# Only this repository's jobs in this environment may act as this account (the pool's attribute
# condition admits this repository's tokens only).
resource "google_service_account_iam_member" "ci_workload_identity_user" {
  for_each = local.ci_environments

  service_account_id = google_service_account.ci[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.environment/${each.key}"
}

# IAP tunnels to the control plane only, and there only to the API server and this environment's
# NodePort (an IAM condition on the destination port, cloud.google.com/iap/docs/using-tcp-forwarding).
# A tunnel to a named instance needs only iap.tunnelInstances.accessViaIAP (IAP's maintainers,
# GoogleCloudPlatform/iap-desktop#365) when gcloud's beta track opens it with --zone: the GA
# command reads the instance first (compute.instances.get), the beta one only after a failed
# connection (google-cloud-sdk lib/surface/compute/start_iap_tunnel.py), which is why
# scripts/deploy/connect-cluster.sh uses beta. No compute.instances.get here: it would also
# reveal the instance's metadata, startup script included. The first deploy proves it
# (docs/ci-cd.md).
resource "google_iap_tunnel_instance_iam_member" "ci_tunnel" {
  for_each = local.ci_environments

  project  = var.project_id
  zone     = var.zone
  instance = google_compute_instance.control_plane.name
  role     = "roles/iap.tunnelResourceAccessor"
  member   = "serviceAccount:${google_service_account.ci[each.key].email}"

  condition {
    title       = "${each.key}-ports"
    description = "The API server and the ${each.key} NodePort."
    expression  = "destination.port == ${local.api_server_port} || destination.port == ${each.value.node_port}"
  }

  lifecycle {
    # A replaced control plane keeps its name but loses its IAM policy: bind again.
    replace_triggered_by = [google_compute_instance.control_plane.instance_id]
  }

  depends_on = [google_project_service.ci]
}

# The cluster CA and its hash, which the control plane publishes as guest attributes.
resource "google_compute_instance_iam_member" "ci_read_ca" {
  for_each = local.ci_environments

  project       = var.project_id
  zone          = var.zone
  instance_name = google_compute_instance.control_plane.name
  role          = google_project_iam_custom_role.guest_attributes_reader.id
  member        = "serviceAccount:${google_service_account.ci[each.key].email}"

  lifecycle {
    replace_triggered_by = [google_compute_instance.control_plane.instance_id]
  }
}

# What those tunnels need and nothing more: from IAP's range to the control plane's API server
# and the three NodePorts (IAP itself lets each account through to its own ports only).
resource "google_compute_firewall" "iap_to_ci_tunnels" {
  name          = "${var.name_prefix}-iap-to-ci-tunnels"
  description   = "IAP TCP forwarding for the CI deploy jobs: API server and the environments' NodePorts on the control plane."
  network       = google_compute_network.cluster.name
  direction     = "INGRESS"
  source_ranges = var.ci_tunnel_cidrs
  target_tags   = [local.tags.control_plane]

  allow {
    protocol = "tcp"
    ports = concat(
      [tostring(local.api_server_port)],
      [for settings in values(local.ci_environments) : tostring(settings.node_port)],
    )
  }

  lifecycle {
    precondition {
      condition     = var.allow_world_access || !contains(var.ci_tunnel_cidrs, "0.0.0.0/0")
      error_message = "ci_tunnel_cidrs: 0.0.0.0/0 would expose the API server and NodePorts to the internet; keep IAP's range (35.235.240.0/20)."
    }
  }
}

# The variables .github/workflows/deploy.yaml reads, per GitHub environment.
locals {
  github_environment_variables = {
    for environment, settings in local.ci_environments : environment => {
      APP_URL                        = "http://${google_compute_address.control_plane_external.address}:${settings.node_port}"
      GCP_PROJECT                    = var.project_id
      GCP_ZONE                       = var.zone
      CONTROL_PLANE_INSTANCE         = google_compute_instance.control_plane.name
      GCP_WORKLOAD_IDENTITY_PROVIDER = google_iam_workload_identity_pool_provider.github.name
      GCP_DEPLOY_SERVICE_ACCOUNT     = google_service_account.ci[environment].email
      KUBE_OIDC_AUDIENCE             = local.github_oidc.audience
    }
  }
}

output "github_environment_variables" {
  description = "Per GitHub environment, the variables .github/workflows/deploy.yaml reads (set them with github_variable_commands)."
  value       = local.github_environment_variables
}

output "github_variable_commands" {
  description = "GitHub CLI commands that create the three environments and set their variables (run them as a repository admin)."
  value = join("\n", flatten([
    for environment, variables in local.github_environment_variables : concat(
      ["gh api --method PUT repos/${var.github_repository}/environments/${environment} --silent"],
      [for name, value in variables : "gh variable set ${name} --repo ${var.github_repository} --env ${environment} --body '${value}'"],
    )
  ]))
}
