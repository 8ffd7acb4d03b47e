# Names and conditions of the CI identity (ci-identity.tf), from variables only, so tests evaluate
# them offline. One GitHub environment per deploy environment; each deploy job names its
# environment, so its OIDC token carries `repository` and `environment` claims (GitHub's OIDC
# reference). GCP and the API server both trust exactly that pair, read from those two claims and
# not from `sub`: since 2026-07-15 new repositories get immutable subjects,
# repo:OWNER@ID/REPO@ID:environment:ENV (docs.github.com, "Immutable subject claims"), so a
# binding to the name-only subject would match nobody there.
locals {
  # Keys: the GitHub environments, namespaces and overlays (k8s/overlays/<env>) of the pipeline.
  # branch: the only branch whose runs may use that environment's identity (null: any branch).
  ci_environments = {
    dev   = { branch = null, node_port = local.node_ports.dev }
    stage = { branch = "stage", node_port = local.node_ports.stage }
    prod  = { branch = "main", node_port = local.node_ports.prod }
  }


  # Every token the pool accepts: from this repository (and its numeric ID when known, so a
  # re-created repository of the same name cannot deploy), and a stage or prod token only from
  # that environment's branch. The CI jobs that use the pool all run in an environment.
  ci_attribute_condition = join(" && ", concat(
    ["assertion.repository == \"${var.github_repository}\""],
    var.github_repository_id == "" ? [] : ["assertion.repository_id == \"${var.github_repository_id}\""],
    [
      for environment, settings in local.ci_environments :
      "(assertion.environment != \"${environment}\" || assertion.ref == \"refs/heads/${settings.branch}\")"
      if settings.branch != null
    ],
  ))

  # 6-30 characters: the longest name_prefix (20) plus "-ci-stage" is 29.
  ci_service_account_ids = {
    for environment in keys(local.ci_environments) : environment => "${var.name_prefix}-ci-${environment}"
  }
}

variable "ci_tunnel_cidrs" {
  type        = list(string)
  description = "Sources that may reach the CI deploy tunnels' ports on the control plane (API server, NodePorts). The default is Google's IAP TCP forwarding range (cloud.google.com/iap/docs/using-tcp-forwarding); IAP itself lets each deploy account through to its own ports only."
  default     = ["35.235.240.0/20"]

  validation {
    condition     = alltrue([for cidr in var.ci_tunnel_cidrs : can(cidrnetmask(cidr))])
    error_message = "ci_tunnel_cidrs: every entry must be an IPv4 CIDR block such as 35.235.240.0/20."
  }
}
