# syntax=docker/dockerfile:1
#
# Live-draw image: one image for every role, chosen by the command (see docker/entrypoint.sh).
#   build:   docker build -t livedraw .
#   server:  docker run -p 3000:3000 -e REDIS_URL=redis://redis:6379 -e LIVEDRAW_JWT_SECRET=<32+ chars> livedraw
#   worker:  docker run -e REDIS_URL=redis://redis:6379 -e LIVEDRAW_JWT_SECRET=<32+ chars> livedraw worker
# Configuration is environment variables only (config/options.ts). On SIGTERM a role drains for up to
# LIVEDRAW_SHUTDOWN_GRACE_MS (default 10 s) + 5 s, so give `docker stop -t 20` / stop_grace_period: 20s.

# Debian bookworm (glibc) so the native uWebSockets.js binary loads (Node 20 = ABI 115).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------- build: all dependencies, compile TypeScript into dist/ ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# Manifests first, so the dependency layer stays cached until they change. The workspaces'
# package.json files must be present for `npm ci` to match package-lock.json; `--ignore-scripts`
# skips the root `prepare` build, which runs below once the sources are copied.
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY fairness/package.json fairness/
COPY client-sdk/package.json client-sdk/
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY . .
# tsconfig.json also compiles tests and benchmarks; they are not shipped. The build also bundles the
# SDK and the pages (dist/public) with esbuild.
RUN npm run build && rm -rf dist/test dist/bench

# ---------- runtime: production dependencies, compiled code, runtime assets ----------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY fairness/package.json fairness/
COPY client-sdk/package.json client-sdk/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts
COPY --from=build /app/dist ./dist
# The contract and the verifier are workspace packages (node_modules/@livedraw/* link here).
COPY --from=build /app/protocol/dist ./protocol/dist
COPY --from=build /app/fairness/dist ./fairness/dist
COPY --from=build /app/fairness/bin ./fairness/bin
# Read at runtime from the project root, which core/assets.ts finds by walking up from dist/core
# to the folder holding core/lua: /app/core/lua (Redis Lua scripts). The console and the big screen
# are static files built into dist/public (copied with dist above).
COPY core/lua ./core/lua
COPY --chmod=0755 docker/entrypoint.sh ./docker/entrypoint.sh

# Files stay root-owned (read-only to the app); the app runs as the image's unprivileged `node` user.
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
# Server: GET http://127.0.0.1:${PORT:-3000}/healthz with node (no curl in slim).
# Worker: no HTTP endpoint, so the check reports healthy while the worker process runs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/app/docker/entrypoint.sh", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
CMD ["server"]
