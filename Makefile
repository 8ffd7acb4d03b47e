# hello-api: the service and everything that ships, runs and watches it.
# `make help` lists the targets; each area adds its own from mk/*.mk.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.package-lock.json

# One Node.js: every target runs the version .nvmrc pins. When the node on PATH is another one,
# scripts/toolchain/node.sh installs that version once into .tools/ and it goes first on PATH for
# every recipe (and so for npm, npx, tsx and every process the tests spawn). `make help` and
# `make clean` need no Node.js and skip it.
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
NODE_BIN_DIR := $(shell scripts/toolchain/node.sh)
ifneq ($(.SHELLSTATUS),0)
$(error scripts/toolchain/node.sh could not provide the Node.js version .nvmrc pins (see above))
endif
ifneq ($(NODE_BIN_DIR),)
export PATH := $(NODE_BIN_DIR):$(PATH)
endif
endif

.PHONY: help install build run-server dev test test-only lint format typecheck clean env-example

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## Install dependencies (npm ci) when missing or outdated

build: $(NPM_STAMP) ## Bundle src/ into dist/ with esbuild: server.js, the tracing preload, their chunks, the Swagger UI files (types: make typecheck)
	npm run build

run-server: build ## Install, build and serve on :8000 (PORT overrides; OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on)
	node --import ./dist/tracing-preload.js dist/server.js

dev: $(NPM_STAMP) ## Serve from source with reload on change
	npm run dev

test: build ## Run every check under test/ (quality, service, container, k8s, monitoring, infra, pipeline, reliability, cluster, scripts) and the coverage gate
	npx tsx scripts/run-tests.ts

test-only: build ## Run the tests under one path, e.g. make test-only T=test/k8s
	npx tsx scripts/run-tests.ts $(T)

lint: $(NPM_STAMP) ## ESLint on all TypeScript
	npx eslint .

format: $(NPM_STAMP) ## Rewrite files with Prettier
	npx prettier --write .

typecheck: $(NPM_STAMP) ## tsc --noEmit over src, tests and scripts
	npx tsc -p tsconfig.json --noEmit

clean: ## Remove build output and coverage (.tools/, the pinned Node.js, stays)
	rm -rf dist coverage .tmp

-include mk/*.mk

env-example: $(NPM_STAMP) ## Regenerate .env.example from src/config/variables.ts
	npx tsx scripts/env-example.ts > .env.example
