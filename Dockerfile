# syntax=docker/dockerfile:1
# Data-cleaning service: one image for every role, chosen by the command —
#   docker run IMAGE api | worker | start | clean <file> --out <dir>
# See docs/DEPLOYMENT.md. Build: docker build -t dcs .   (podman build works the same)
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: dev dependencies, native modules (better-sqlite3), TypeScript and the web UI ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# A compiler for native modules when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Compile against the headers that ship with this Node (no download of them from nodejs.org).
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies only, non-root, an init as PID 1 -----------------------------
FROM ${NODE_IMAGE} AS runtime
# tini forwards signals to node and reaps children (`dcs start` runs worker processes).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown node:node /data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/web/dist ./web/dist
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
USER node
EXPOSE 3000
# The API (and `start`) answer /health/live; a worker or `clean` has no port: it is healthy while it
# runs (the container ends when the process does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const argv = require('fs').readFileSync('/proc/1/cmdline', 'utf8').split('\\0'); if (!argv.includes('api') && !argv.includes('start')) process.exit(0); fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/cli/main.js"]
CMD ["api"]
