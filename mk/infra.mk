# Infrastructure (opentofu/): the GCP network, firewall, three kubeadm nodes and the CI identity.
# TOFU picks OpenTofu, or Terraform where only it is installed; override with make TOFU=...
TOFU ?= $(shell command -v tofu || command -v terraform)
INFRA_DIR := opentofu
INFRA_PLAN := infra.tfplan

.PHONY: infra-init infra-plan infra-apply infra-destroy infra-output infra-fmt infra-validate test-infra infra-check-tool

infra-check-tool:
	@test -n "$(TOFU)" || { echo "make infra-*: neither tofu nor terraform is on PATH; install OpenTofu >= 1.8 (docs/infrastructure.md)" >&2; exit 2; }

infra-init: infra-check-tool ## Initialise OpenTofu with the GCS state backend from opentofu/backend.hcl
	@test -f $(INFRA_DIR)/backend.hcl || { echo "make infra-init: opentofu/backend.hcl is missing: copy opentofu/backend.hcl.example and set your state bucket" >&2; exit 2; }
	@test -f $(INFRA_DIR)/terraform.tfvars || { echo "make infra-init: opentofu/terraform.tfvars is missing: copy opentofu/terraform.tfvars.example and set project_id, github_repository and the CIDR lists" >&2; exit 2; }
	$(TOFU) -chdir=$(INFRA_DIR) init -input=false -backend-config=backend.hcl

infra-plan: infra-init ## Plan the cluster infrastructure into opentofu/infra.tfplan (nothing changes yet)
	$(TOFU) -chdir=$(INFRA_DIR) plan -input=false -out=$(INFRA_PLAN)

infra-apply: infra-init ## Apply the reviewed plan from make infra-plan (or plan and ask, if there is none)
	@if [[ -f $(INFRA_DIR)/$(INFRA_PLAN) ]]; then \
		$(TOFU) -chdir=$(INFRA_DIR) apply -input=false $(INFRA_PLAN) && rm -f $(INFRA_DIR)/$(INFRA_PLAN); \
	else \
		$(TOFU) -chdir=$(INFRA_DIR) apply; \
	fi

infra-destroy: infra-init ## Destroy what OpenTofu created: nodes, addresses, firewall, network, CI identity (asks first; the state bucket and enabled APIs stay)
	$(TOFU) -chdir=$(INFRA_DIR) destroy

infra-output: infra-check-tool ## Print every output: node IPs, service and Prometheus URLs, SSH and kubeconfig commands, the GitHub variables
	$(TOFU) -chdir=$(INFRA_DIR) output

infra-fmt: infra-check-tool ## Rewrite opentofu/ files in canonical format
	$(TOFU) -chdir=$(INFRA_DIR) fmt -recursive

infra-validate: infra-check-tool ## validate + tofu test with mock providers (downloads providers; no cloud account)
	$(TOFU) -chdir=$(INFRA_DIR) init -input=false -backend=false
	$(TOFU) -chdir=$(INFRA_DIR) validate
	$(TOFU) -chdir=$(INFRA_DIR) test

test-infra: ## Offline infrastructure checks: fmt, HCL structure, provider schemas, validations, shellcheck, bootstrap scripts, metadata rule in netns
	npx tsx scripts/run-tests.ts test/infra
