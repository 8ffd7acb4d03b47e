# Tool and provider versions, pinned so every machine plans with the same code, and the state
# backend. The backend's bucket is given at init time (`-backend-config=backend.hcl`, see
# backend.hcl.example), so no project-specific name is committed.
terraform {
  # 1.8 is the first OpenTofu with mock providers for `tofu test`.
  required_version = ">= 1.8.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.49.3"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
  }

  backend "gcs" {}
}
