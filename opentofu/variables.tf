# Inputs. Every variable is typed and described; those a typo could turn into a broken or exposed
# cluster are validated here, so `plan` stops with one message naming the variable.

variable "project_id" {
  type        = string
  description = "GCP project ID that holds the cluster. Changing it replaces every node (and the whole cluster)."

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id: must be a GCP project ID (6-30 characters: lowercase letters, digits, hyphens; starts with a letter)."
  }
}

variable "region" {
  type        = string
  description = "GCP region of the network and the nodes. Changing it replaces every node (and the whole cluster)."
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region: must be a GCP region such as us-central1."
  }
}

variable "zone" {
  type        = string
  description = "GCP zone of the three nodes; must be in region. Changing it replaces every node (and the whole cluster)."
  default     = "us-central1-a"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", var.zone))
    error_message = "zone: must be a GCP zone such as us-central1-a."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (network, firewall rules, instances, service account). Changing it replaces every node (and the whole cluster)."
  default     = "hello-k8s"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix: must be 3-20 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "subnet_cidr" {
  type        = string
  description = "Primary range of the nodes' subnet. The nodes take fixed addresses from its 4th host on (10.160.0.3 control plane, 10.160.0.4+ workers). Changing it replaces every node (and the whole cluster)."
  default     = "10.160.0.0/20"

  validation {
    condition     = can(cidrnetmask(var.subnet_cidr)) && try(tonumber(split("/", var.subnet_cidr)[1]) <= 24, false)
    error_message = "subnet_cidr: must be an IPv4 CIDR block of /24 or larger, such as 10.160.0.0/20."
  }
}

variable "worker_count" {
  type        = number
  description = "Number of worker nodes. Raising it adds workers that join on their first boot; lowering it removes the highest-numbered ones (drain them first)."
  default     = 2

  validation {
    condition     = var.worker_count >= 1 && var.worker_count <= 10 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count: must be a whole number from 1 to 10."
  }
}

variable "machine_type" {
  type        = string
  description = "Machine type of every node. kubeadm needs at least 2 vCPUs and 2 GB on the control plane; e2-medium has 2 vCPUs and 4 GB. Changing it stops and restarts each node in place (allow_stopping_for_update); no node is replaced."
  default     = "e2-medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*-[a-z0-9-]+$", var.machine_type)) && !contains(["e2-micro", "e2-small", "f1-micro", "g1-small"], var.machine_type)
    error_message = "machine_type: must be a GCE machine type with at least 2 vCPUs, such as e2-medium (e2-micro, e2-small, f1-micro and g1-small are too small for kubeadm)."
  }
}

variable "image" {
  type        = string
  description = "Boot image (project/family or project/image). The bootstrap scripts use apt, so it must be Debian or Ubuntu. Applies to nodes created from now on only (ignore_changes): running nodes keep their disk."
  default     = "debian-cloud/debian-12"

  validation {
    condition     = can(regex("^(debian-cloud|ubuntu-os-cloud)/[a-z0-9-]+$", var.image))
    error_message = "image: must be a Debian or Ubuntu public image such as debian-cloud/debian-12 (the bootstrap scripts use apt)."
  }
}

variable "boot_disk_size_gb" {
  type        = number
  description = "Boot disk size of every node in GB (container images live there). Applies to nodes created from now on only (ignore_changes; the provider would replace the node): grow a running node's disk as docs/infrastructure.md describes."
  default     = 30

  validation {
    condition     = var.boot_disk_size_gb >= 20 && var.boot_disk_size_gb <= 500
    error_message = "boot_disk_size_gb: must be between 20 and 500."
  }
}

variable "boot_disk_type" {
  type        = string
  description = "Boot disk type of every node. Applies to nodes created from now on only (ignore_changes; the provider would replace the node)."
  default     = "pd-balanced"

  validation {
    condition     = contains(["pd-standard", "pd-balanced", "pd-ssd"], var.boot_disk_type)
    error_message = "boot_disk_type: must be one of pd-standard, pd-balanced, pd-ssd."
  }
}

variable "kubernetes_minor" {
  type        = string
  description = "Kubernetes minor version; selects the pkgs.k8s.io repository, and the packages are held at it. 1.30 and 1.31 are supported: the API server's structured authentication configuration (the deploy job's OIDC login) is beta from 1.30 (alpha, off by default, in 1.29), and the pinned Canal release is tested up to 1.32. Changing it later only updates the startup script (in place); it does not upgrade a running cluster (that is kubeadm upgrade, see docs/infrastructure.md)."
  default     = "1.30"

  validation {
    condition     = contains(["1.30", "1.31"], var.kubernetes_minor)
    error_message = "kubernetes_minor: must be one of 1.30, 1.31 (the minors these bootstrap scripts support)."
  }
}

variable "github_repository" {
  type        = string
  description = "The GitHub repository that deploys to this cluster, as OWNER/REPO. The API server accepts GitHub Actions OIDC tokens of this repository only, and k8s/access binds its environments dev, stage and prod. Changing it updates the control plane's startup script in place; it takes effect at the next boot or bootstrap run."

  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9]|-[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository)) && !contains([".", ".."], try(split("/", var.github_repository)[1], ""))
    error_message = "github_repository: must be OWNER/REPO as GitHub allows it: an owner of 1-39 letters, digits and single inner hyphens, a repository name of letters, digits, '.', '_' and '-' (not . or ..)."
  }
}

variable "github_repository_id" {
  type        = string
  description = "Optional numeric ID of github_repository (gh api repos/OWNER/REPO --jq .id). When set, the API server also requires it in the token's repository_id claim, so a deleted repository's name taken over by someone else cannot deploy. Empty: the name alone is checked."
  default     = ""

  validation {
    condition     = can(regex("^([0-9]+)?$", var.github_repository_id))
    error_message = "github_repository_id: must be empty or the repository's numeric ID, such as 123456789."
  }
}

variable "bootstrap_token_ttl" {
  type        = string
  description = "Lifetime of the workers' join token. The control plane recreates it on each boot; to add a worker after it expired, see docs/infrastructure.md."
  default     = "24h"

  validation {
    condition     = can(regex("^([0-9]+h)?([0-9]+m)?([0-9]+s)?$", var.bootstrap_token_ttl)) && var.bootstrap_token_ttl != ""
    error_message = "bootstrap_token_ttl: must be a duration such as 24h, 90m or 0s (never expires)."
  }
}

variable "admin_cidrs" {
  type        = list(string)
  description = "IPv4 CIDR blocks allowed to reach the API server (TCP 6443) from outside the network. Empty: no external access to the API server."
  default     = []

  validation {
    condition     = alltrue([for cidr in var.admin_cidrs : can(cidrnetmask(cidr))])
    error_message = "admin_cidrs: every entry must be an IPv4 CIDR block such as 203.0.113.10/32."
  }
}

variable "ssh_cidrs" {
  type        = list(string)
  description = "IPv4 CIDR blocks allowed to SSH to the nodes (TCP 22). The default is Google's IAP TCP forwarding range only, for `gcloud compute ssh --tunnel-through-iap`."
  default     = ["35.235.240.0/20"]

  validation {
    condition     = alltrue([for cidr in var.ssh_cidrs : can(cidrnetmask(cidr))])
    error_message = "ssh_cidrs: every entry must be an IPv4 CIDR block such as 35.235.240.0/20."
  }
}

variable "service_cidrs" {
  type        = list(string)
  description = "IPv4 CIDR blocks allowed to reach the application NodePorts (30080 dev, 30081 stage, 30082 prod) and Prometheus (30090). Empty: no external access."
  default     = []

  validation {
    condition     = alltrue([for cidr in var.service_cidrs : can(cidrnetmask(cidr))])
    error_message = "service_cidrs: every entry must be an IPv4 CIDR block such as 203.0.113.10/32."
  }
}

variable "allow_world_access" {
  type        = bool
  description = "Allow 0.0.0.0/0 in admin_cidrs, ssh_cidrs or service_cidrs. Off by default: a rule open to the whole internet must be asked for explicitly."
  default     = false
}

variable "labels" {
  type        = map(string)
  description = "Extra labels for every resource that takes labels (merged over the defaults in nodes.tf)."
  default     = {}

  validation {
    condition     = alltrue([for key, value in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", key)) && can(regex("^[a-z0-9_-]{0,63}$", value))])
    error_message = "labels: keys must start with a lowercase letter; keys and values may hold lowercase letters, digits, _ and - (at most 63)."
  }
}
