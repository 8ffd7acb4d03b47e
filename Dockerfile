# hello-api container image. Build stages (deps, build, build-info) feed a runtime stage that
# holds only what runs: dist/ (the esbuild bundle of the service, its tracing preload and their
# chunks, and the Swagger UI's static files, scripts/build.ts), package.json (the service reads its version there, and its "type"
# makes dist/server.js an ES module) and build-info.json. No node_modules: the bundle already
# contains every dependency. About 4.8 MB above the base. Build with `make image`; checked by
# test/container/ (build, run hardened, probe, SIGTERM, size, node version). docs/container.md
# says why the base is what it is.
#
# Base: the official Node.js image, pinned by digest (a tag can move; a digest cannot).
# node:24.18.0-bookworm-slim (Node.js 24 "Krypton" LTS; the version .nvmrc pins, checked by
# test/container/dockerfile.test.ts), multi-arch index digest as pinned by several public
# repositories that build it for amd64 and arm64 (it cannot be pulled from this project's CI).
# Both are build arguments: BUILD_BASE_IMAGE needs node + npm + sh; BASE_IMAGE only needs node,
# because the runtime stage runs no command at build time (no RUN, so no shell and no apt/apk):
# a distroless-shaped base works, e.g. --build-arg BASE_IMAGE=gcr.io/distroless/nodejs24-debian13@sha256:...
# Where no registry is reachable, the tests pass a stand-in built from the running Node.js
# (scripts/container/standin-base.ts) through the same two arguments; this file stays as it is.
ARG BUILD_BASE_IMAGE=node:24.18.0-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
ARG BASE_IMAGE=node:24.18.0-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# --- deps: every dependency, from the lockfile only, so this layer is cached until it changes.
FROM ${BUILD_BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency runs code at install time; none of ours needs to.
RUN npm ci --ignore-scripts --no-audit --no-fund

# --- build: src/ bundled by esbuild into dist/server.js, the Swagger UI's static files copied to
# dist/swagger-ui/ (scripts/build.ts). Source maps are left out: nothing in the image reads them.
FROM deps AS build
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build -- --no-sourcemap

# --- build-info: the build facts as a file, /app/build-info.json in the image. It also keeps
# podman's layer cache honest: buildah reuses cached ENV/LABEL layers even when the build
# argument they expand has changed (containers/buildah#5501), but it does rerun a RUN whose
# arguments changed, and this file's new content then invalidates every layer after its COPY.
FROM ${BUILD_BASE_IMAGE} AS build-info
ARG APP_VERSION=""
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
WORKDIR /app
RUN node -e "const { APP_VERSION: version, GIT_COMMIT: commit, BUILD_TIME: buildTime } = process.env; \
      process.stdout.write(JSON.stringify({ version, commit, buildTime }) + '\n')" > build-info.json

# --- runtime
FROM ${BASE_IMAGE} AS runtime
ARG BASE_IMAGE
WORKDIR /app

# Files stay owned by root and read-only to the service user: the process cannot rewrite its code.
COPY --from=build /app/dist ./dist
COPY package.json ./

# /nodejs/bin first: where distroless keeps node, so "node" below resolves on either base.
ENV PATH=/nodejs/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000

# A fixed numeric UID:GID that exists in no base image: Kubernetes runAsNonRoot can verify a
# number, and no user needs to be created (useradd would need a shell and a package in the base).
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM

# For plain `docker run`; Kubernetes ignores it and uses its own probes. node's fetch, not curl:
# nothing is installed for it. The port follows PORT when a user overrides it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node is PID 1, no shell or entrypoint script in between: SIGTERM reaches the service's own
# graceful shutdown (src/lifecycle/graceful-shutdown.ts). This replaces the base image's docker-entrypoint.sh.
# The tracing preload runs first: it starts OpenTelemetry only when OTEL_EXPORTER_OTLP_ENDPOINT
# is set, and otherwise loads nothing but the configuration (docs/tracing.md). The same command
# as `npm start`; test/container/dockerfile.test.ts keeps them equal.
ENTRYPOINT ["node", "--import", "./dist/tracing-preload.js", "dist/server.js"]
CMD []

# Build facts last, so a new commit only changes these final, tiny layers.
COPY --from=build-info /app/build-info.json ./
ARG APP_VERSION=""
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
ARG SOURCE_URL=unknown
ENV APP_VERSION=${APP_VERSION} \
    GIT_COMMIT=${GIT_COMMIT} \
    BUILD_TIME=${BUILD_TIME}
LABEL org.opencontainers.image.title="hello-api" \
      org.opencontainers.image.description="A small Fastify HTTP service with probes, metrics and graceful shutdown" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.created="${BUILD_TIME}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
