# Kubernetes manifests (k8s/): render and check them. Deploying is the pipeline's make deploy-<env>.
K8S_ENVIRONMENTS := dev stage prod

.PHONY: render render-cluster test-manifests

render: ## Print the manifests of one environment: make render ENV=dev|stage|prod
	@if [[ " $(K8S_ENVIRONMENTS) " != *" $(ENV) "* ]]; then \
		echo "make render: ENV='$(ENV)' is invalid: expected one of $(K8S_ENVIRONMENTS)" >&2; exit 2; fi
	@kubectl kustomize k8s/overlays/$(ENV)

render-cluster: ## Print what a cluster admin applies: namespaces, their label policy, metrics-server, local-path storage
	@kubectl kustomize k8s/cluster

test-manifests: ## Render, schema-validate and policy-check the Kubernetes manifests
	npx tsx scripts/run-tests.ts test/k8s
