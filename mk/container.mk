# Container image targets (logic in scripts/container/*.ts; podman or docker, whichever works).
# IMAGE=name:tag (default hello-api:local), BASE_IMAGE=... (both stages), HOST_PORT=8000.
CONTAINER_CLI := npx tsx scripts/container/image.ts

.PHONY: image image-offline image-run image-standin test-container

image: $(NPM_STAMP) ## Build the container image from the Dockerfile (pinned official Node.js base)
	$(CONTAINER_CLI) build

image-offline: $(NPM_STAMP) ## Build the image on a stand-in base made from the running Node.js (no registry needed)
	$(CONTAINER_CLI) build-offline

image-run: $(NPM_STAMP) ## Run the image on 127.0.0.1:8000 read-only, tmpfs /tmp, no capabilities, no new privileges
	$(CONTAINER_CLI) run

image-standin: $(NPM_STAMP) ## Build (or reuse) the stand-in Node.js base image only
	$(CONTAINER_CLI) standin

test-container: $(NPM_STAMP) ## Build and run the image and check it (the container tests only)
	npx tsx scripts/run-tests.ts test/container
