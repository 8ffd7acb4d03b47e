# What each node runs at boot: the tested scripts in scripts/, and on the control plane the cluster
# add-ons from k8s/cluster/ and the deploy identities from k8s/access/, wrapped by
# scripts/startup.sh.tftpl with the node's settings, plus the kubeadm bootstrap token the workers
# join with.

# kubeadm's token format [a-z0-9]{6}.[a-z0-9]{16}. Generated once and kept in state, so
# re-applying never changes it; the secret half is a random_password so it stays out of plan
# output.
resource "random_string" "bootstrap_token_id" {
  length  = 6
  upper   = false
  special = false
}

resource "random_password" "bootstrap_token_secret" {
  length  = 16
  upper   = false
  special = false
}

locals {
  bootstrap_token = sensitive("${random_string.bootstrap_token_id.result}.${random_password.bootstrap_token_secret.result}")

  scripts_dir = "${path.module}/scripts"
  addons_dir  = "${path.module}/../k8s/cluster"
  access_dir  = "${path.module}/../k8s/access"

  # Carried base64-encoded: the template must not reinterpret a single character of them.
  script_files = {
    for file in fileset(local.scripts_dir, "*.sh") : file => filebase64("${local.scripts_dir}/${file}")
  }
  addon_files = {
    for file in fileset(local.addons_dir, "**") : "addons/${file}" => filebase64("${local.addons_dir}/${file}")
  }
  access_files = {
    for file in fileset(local.access_dir, "**") : "access/${file}" => filebase64("${local.access_dir}/${file}")
  }

  # Settings read by scripts/control-plane.sh (each one is checked there).
  control_plane_environment = {
    NODE_NAME              = local.control_plane.name
    NODE_INTERNAL_IP       = local.control_plane.ip
    API_SERVER_EXTERNAL_IP = google_compute_address.control_plane_external.address
    KUBERNETES_MINOR       = var.kubernetes_minor
    POD_CIDR               = local.pod_cidr
    SERVICE_CIDR           = local.service_cidr
    ETCD_METRICS_PORT      = local.etcd_metrics_port
    CANAL_VERSION          = local.canal.version
    CANAL_MANIFEST_SHA256  = local.canal.manifest_sha256
    BOOTSTRAP_TOKEN        = local.bootstrap_token
    BOOTSTRAP_TOKEN_TTL    = var.bootstrap_token_ttl
    GITHUB_REPOSITORY      = var.github_repository
    GITHUB_REPOSITORY_ID   = var.github_repository_id
    OIDC_ISSUER_URL        = local.github_oidc.issuer
    OIDC_AUDIENCE          = local.github_oidc.audience
    OIDC_USERNAME_PREFIX   = local.github_oidc.username_prefix
  }

  # Settings read by scripts/worker.sh, per worker.
  worker_environment = {
    for name, worker in local.workers : name => {
      NODE_NAME              = worker.name
      NODE_INTERNAL_IP       = worker.ip
      KUBERNETES_MINOR       = var.kubernetes_minor
      POD_CIDR               = local.pod_cidr
      CONTROL_PLANE_ENDPOINT = "${local.control_plane.ip}:${local.api_server_port}"
      CONTROL_PLANE_NAME     = local.control_plane.name
      CONTROL_PLANE_ZONE     = var.zone
      GCP_PROJECT            = var.project_id
      BOOTSTRAP_TOKEN        = local.bootstrap_token
    }
  }

  control_plane_startup_script = templatefile("${local.scripts_dir}/startup.sh.tftpl", {
    role        = "control-plane"
    files       = merge(local.script_files, local.addon_files, local.access_files)
    environment = local.control_plane_environment
  })

  worker_startup_scripts = {
    for name, environment in local.worker_environment : name => templatefile("${local.scripts_dir}/startup.sh.tftpl", {
      role        = "worker"
      files       = local.script_files
      environment = environment
    })
  }

  # GCE refuses a metadata value over 256 KiB.
  metadata_value_limit = 256 * 1024
}
