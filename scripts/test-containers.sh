#!/usr/bin/env bash
# npm run test:containers — the Dockerfile and compose.yaml tested for real with podman (called by
# .ci/run after `npm test`; docs/DEPLOYMENT.md, "Testing the containers"):
#   1. docker-compose validates compose.yaml;
#   2. the image is built from ./Dockerfile (local stand-ins for the official base images on
#      machines without a registry: scripts/containers/stand-ins.sh);
#   3. the stack (api, worker, redis, postgres) starts from an env file made from .env.example;
#   4. a file uploaded to the API container is completed by the worker container and its results
#      download; 5. workers are scaled to 2 and two more files are processed;
#   6. everything is torn down — containers, volumes and the network.
# Bounded: every wait has a limit (about 3–5 minutes in all on a cold machine). Needs root, podman,
# podman-compose and docker-compose (scripts/containers/host-setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

project="dcsct$$"
work="$(mktemp -d)"
image="localhost/dcs:test-containers"
# Keep HEALTHCHECK in the image (podman's default OCI format drops it).
export BUILDAH_FORMAT=docker

say() { echo "containers: $*"; }
fail() {
  echo "containers: FAILED: $*" >&2
  for c in $(podman ps -a --format '{{.Names}}' --filter "name=^${project}_" 2>/dev/null); do
    echo "---- logs of $c (last 30 lines)" >&2
    podman logs --tail 30 "$c" >&2 2>&1 || true
  done
  exit 1
}
compose() { podman-compose -p "$project" -f compose.yaml "$@" >>"$work/compose.log" 2>&1; }
cleanup() {
  podman-compose -p "$project" -f compose.yaml down -v >/dev/null 2>&1 || true
  # podman-compose 1.0.3 leaves the network (and, after a failed start, volumes) behind.
  podman network rm -f "${project}_default" >/dev/null 2>&1 || true
  for v in data redis postgres mariadb; do podman volume rm -f "${project}_$v" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for tool in podman podman-compose docker-compose curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing: run scripts/containers/host-setup.sh as root"
done

# ---- configuration: .env.example with fresh secrets and a free port --------------------------------
secret() { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
redis_password="$(secret)"
postgres_password="$(secret)"
token="$(secret)"
port="$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
sed -e "s/change-me-redis/$redis_password/" -e "s/change-me-postgres/$postgres_password/g" -e "s/change-me-api-token/$token/" \
  .env.example >"$work/env"
printf 'RECOVERY_INTERVAL_MS=5000\nSHUTDOWN_GRACE_MS=5000\n' >>"$work/env"
# Interpolation in compose.yaml (podman-compose reads these from the environment).
export WORKER_REPLICAS=1 DCS_ENV_FILE="$work/env" DCS_IMAGE="$image" DCS_PORT="$port" REDIS_PASSWORD="$redis_password" POSTGRES_PASSWORD="$postgres_password"
base="http://127.0.0.1:$port"

say "validating compose.yaml (docker-compose config)"
docker-compose -f compose.yaml config -q || fail "docker-compose rejects compose.yaml"
docker-compose -f compose.yaml --profile mysql config --services | grep -qx mariadb || fail "profile mysql does not add mariadb"

say "base images (local stand-ins where no registry is reachable)"
timeout 600 scripts/containers/stand-ins.sh || fail "stand-in images"

say "building the image from ./Dockerfile"
timeout 900 podman build -t "$image" . >"$work/build.log" 2>&1 || {
  tail -30 "$work/build.log"
  fail "image build"
}
[ "$(podman image inspect "$image" --format '{{.Config.User}}')" = node ] || fail "the image does not run as the non-root user node"
podman image inspect "$image" --format '{{json .Config.Healthcheck}}' | grep -q health/live || fail "the image has no HEALTHCHECK"
podman run --rm --entrypoint sh "$image" -c '! test -d node_modules/vitest && ! test -d node_modules/eslint && ! test -d node_modules/vite' 2>/dev/null || fail "dev dependencies in the runtime image"

say "starting the stack (project $project, API on port $port)"
# Services named: podman-compose 1.0.3 ignores profiles (it would start mariadb too).
timeout 180 podman-compose -p "$project" -f compose.yaml up -d api worker redis postgres >>"$work/compose.log" 2>&1 || {
  tail -30 "$work/compose.log"
  fail "compose up"
}

# podman-compose runs no healthchecks by itself: ask for them until the API answers ready.
wait_healthy() {
  local container="$1" limit="$2"
  for _ in $(seq "$limit"); do
    podman healthcheck run "$container" >/dev/null 2>&1 && return 0
    sleep 1
  done
  fail "$container not healthy within ${limit}s"
}
wait_healthy "${project}_api_1" 120
wait_healthy "${project}_redis_1" 30
wait_healthy "${project}_postgres_1" 30

json() { node -e "const v = JSON.parse(process.argv[1]); console.log(process.argv[2].split('.').reduce((o, k) => o?.[k], v) ?? '')" "$1" "$2"; }
upload() {
  local response
  response="$(curl -sS -H "Authorization: Bearer $token" -F "file=@$1" "$base/api/data-cleaning/upload")"
  [ "$(json "$response" status)" = pending ] || fail "upload of $1 answered $response"
  json "$response" taskId
}
wait_completed() {
  local task="$1" status=""
  for _ in $(seq 240); do
    status="$(json "$(curl -sS -H "Authorization: Bearer $token" "$base/api/data-cleaning/check-status/$task")" status)"
    case "$status" in
      completed) return 0 ;;
      failed | timeout | cancelled) fail "task $task ended $status" ;;
    esac
    sleep 0.5
  done
  fail "task $task not completed within 120 s (last status: $status)"
}
# Which worker container ran a task (its log names the task).
worker_of() {
  for c in $(podman ps --format '{{.Names}}' --filter "name=^${project}_worker_"); do
    podman logs "$c" 2>&1 | grep "\"jobId\":\"$1\"" | grep -q 'task completed' && echo "$c"
  done
}

say "uploading a workbook to the API container"
task="$(upload test/fixtures/parsing/xlsx/workbook.xlsx)"
wait_completed "$task"
[ -n "$(worker_of "$task")" ] || fail "no worker container logged completing $task"
curl -sSf -H "Authorization: Bearer $token" -o "$work/clean.csv" "$base/api/data-cleaning/download/clean/$task?format=csv" || fail "clean download"
curl -sSf -H "Authorization: Bearer $token" -o "$work/exceptions.xlsx" "$base/api/data-cleaning/download/exceptions/$task" || fail "exceptions download"
# workbook.xlsx: 7 rows, 5 clean and 2 exceptions (test/integration/stack-smoke.test.ts).
[ "$(grep -c . "$work/clean.csv")" = 6 ] || fail "clean.csv has $(grep -c . "$work/clean.csv") lines, expected 1 header + 5 rows"
[ "$(head -c 2 "$work/exceptions.xlsx")" = PK ] || fail "exceptions download is not an xlsx file"
say "task $task completed by $(worker_of "$task"); results downloaded"

say "scaling workers to 2"
# `docker compose up -d --scale worker=2` elsewhere; podman-compose 1.0.3 ignores --scale and reads
# deploy.replicas (WORKER_REPLICAS in compose.yaml): worker_1 is kept, worker_2 is added.
WORKER_REPLICAS=2 timeout 180 podman-compose -p "$project" -f compose.yaml up -d worker >>"$work/compose.log" 2>&1 || fail "scale up"
workers="$(podman ps --format '{{.Names}}' --filter "name=^${project}_worker_" | wc -l)"
[ "$workers" = 2 ] || fail "$workers worker containers running, expected 2"
wait_healthy "${project}_api_1" 60

say "processing two more files"
first="$(upload test/fixtures/parsing/csv/utf8-bom.csv)"
second="$(upload test/fixtures/parsing/csv/semicolon.csv)"
wait_completed "$first"
wait_completed "$second"
say "tasks completed by: $(worker_of "$first") and $(worker_of "$second")"

say "tearing down"
podman-compose -p "$project" -f compose.yaml down -v >>"$work/compose.log" 2>&1 || fail "compose down"
podman network rm -f "${project}_default" >/dev/null 2>&1 || true
[ -z "$(podman ps -a -q --filter "name=^${project}_")" ] || fail "containers left behind"
! podman network exists "${project}_default" || fail "network left behind"
say "OK"
