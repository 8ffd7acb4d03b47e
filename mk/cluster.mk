# The local kind cluster and the e2e suite that runs against it (docs/local-cluster.md).
# Needs Docker or Podman, kind and kubectl (versions in scripts/cluster/pins.ts, checked at start).
# CONTAINER_ENGINE=docker|podman picks the engine; CLUSTER_REGISTRY_PORT moves the registry off 5001.
CLUSTER_KUBECONFIG := .tmp/cluster/kubeconfig

.PHONY: cluster-up cluster-down e2e test-cluster

cluster-up: $(NPM_STAMP) ## Create (or converge) the local kind cluster with dev, stage, prod and monitoring; prints the URLs
	npx tsx scripts/cluster/up.ts

cluster-down: $(NPM_STAMP) ## Remove the kind cluster, its registry and everything cluster-up made
	npx tsx scripts/cluster/down.ts

e2e: $(NPM_STAMP) ## Run the e2e suite (test/e2e/*.e2e.ts) against the cluster of make cluster-up
	@test -f $(CLUSTER_KUBECONFIG) || { echo "make e2e: $(CLUSTER_KUBECONFIG) is missing: run make cluster-up first" >&2; exit 2; }
	KUBECONFIG=$(CURDIR)/$(CLUSTER_KUBECONFIG) npx tsx scripts/run-tests.ts --e2e test/e2e

test-cluster: build ## Check cluster-up/down against fake kind/kubectl/docker/podman, and the e2e suite's facts and helpers (no cluster needed)
	npx tsx scripts/run-tests.ts test/cluster
