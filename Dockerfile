# secretsync controller image. Build from the repository root:
#   docker build -t secretsync:0.1.0 .
# Two stages: the build stage compiles TypeScript with the dev dependencies; the runtime stage has
# the production dependencies only, the compiled dist/src, the CRDs (read by `secretsync validate`)
# and runs as a non-root numeric user, as deploy/deployment.yaml's securityContext requires.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The base image brings Node 24: skip the Node binary npm would install (an optional dependency);
# tsc needs no install scripts.
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY test/testbed ./test/testbed
COPY bench ./bench
COPY crds ./crds
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY crds ./crds
# 65532: the conventional "nonroot" uid/gid; deploy/deployment.yaml runs as this user and group.
USER 65532:65532
# /metrics, /healthz and /readyz (--metrics-port, default 8080).
EXPOSE 8080
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["controller"]
