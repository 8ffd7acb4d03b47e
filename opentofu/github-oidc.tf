# The deploy job's identity on the cluster, with no stored credential: the API server trusts
# GitHub Actions' OIDC tokens that were requested for this cluster's own audience
# (scripts/control-plane.sh writes that authentication configuration from these values), and
# k8s/access binds each environment's deployer Role to the username built from a token's claims:
# "<username_prefix>repo:OWNER/REPO:environment:ENV".
locals {
  github_oidc = {
    # GitHub's issuer (docs.github.com/en/actions/reference/security/oidc). The API server fetches
    # its discovery document and signing keys from there, so the control plane needs egress to it.
    issuer = "https://token.actions.githubusercontent.com"
    # Not GitHub's default audience (the owner's URL, shared by every workflow of the owner) and
    # not the Workload Identity provider's: a token minted for this cluster is good for nothing else.
    audience = "${var.project_id}/${var.name_prefix}/kube-apiserver"
    # Keeps these users apart from system: names and from any other issuer's users.
    username_prefix = "github:"
  }
}
