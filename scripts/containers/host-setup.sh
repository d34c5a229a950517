#!/usr/bin/env bash
# Makes this machine able to build and run OCI images with podman (see docs/DEPLOYMENT.md,
# "Testing the containers"): installs podman, runc, podman-compose, docker-compose (static checks
# only) and debootstrap from Debian, and writes the containers.conf these machines need —
# the default file-descriptor/process limits cannot be raised here (setrlimit fails) and crun
# does not support their hybrid cgroups, so runc is used. Idempotent; needs root.
set -euo pipefail

need=()
for tool in podman runc podman-compose docker-compose debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "containers: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

conf=/etc/containers/containers.conf.d/50-dcs-host.conf
if [ ! -f "$conf" ]; then
  mkdir -p "$(dirname "$conf")"
  cat >"$conf" <<'CONF'
# Written by scripts/containers/host-setup.sh: this machine cannot raise RLIMIT_NOFILE/NPROC to
# podman's defaults, and crun does not support its hybrid cgroup layout.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
fi
