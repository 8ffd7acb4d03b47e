# CI/CD by hand: the same deploy and smoke test the pipeline runs (docs/ci-cd.md).
#   make deploy-dev IMAGE=docker.io/acme/hello-api@sha256:<digest> [COMMIT=<sha>] [URL=http://...]
#     [BRANCH=<name>: deploy only while origin's BRANCH still points at COMMIT, as CI does]
#   make smoke URL=http://node:30080 [COMMIT=<sha>]
# kubectl must point at the cluster (KUBECONFIG). For deploys COMMIT defaults to the checked-out
# commit; `make smoke` checks the commit only when COMMIT is given.
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
DEPLOY_ARGS = --image "$(IMAGE)" --commit "$(COMMIT)" $(if $(URL),--url "$(URL)") \
	$(if $(BRANCH),--branch "$(BRANCH)")

.PHONY: deploy-dev deploy-stage deploy-prod smoke test-pipeline

deploy-dev: $(NPM_STAMP) ## Deploy IMAGE (repo@sha256:...) to dev: apply, rollout, smoke test at URL (default 127.0.0.1:<NodePort>), roll back on failure
	npx tsx scripts/deploy/deploy.ts --env dev $(DEPLOY_ARGS)

deploy-stage: $(NPM_STAMP) ## Deploy IMAGE (repo@sha256:...) to stage, rolling back on failure
	npx tsx scripts/deploy/deploy.ts --env stage $(DEPLOY_ARGS)

deploy-prod: $(NPM_STAMP) ## Deploy IMAGE (repo@sha256:...) to prod, rolling back on failure
	npx tsx scripts/deploy/deploy.ts --env prod $(DEPLOY_ARGS)

smoke: $(NPM_STAMP) ## Smoke-test a running hello-api: make smoke URL=http://host:port [COMMIT=<sha>]
	npx tsx scripts/smoke-test.ts --url "$(URL)" $(if $(filter-out file,$(origin COMMIT)),--commit "$(COMMIT)")

test-pipeline: build ## Run the CI/CD tests only (workflows, tool parity, secrets, deploy, cluster connection, smoke test, release installer, shipped-image list, README tests section)
	npx tsx scripts/run-tests.ts test/pipeline
