#!/usr/bin/env bash
# Deploy figures for bench/RESULTS.md (Step 5): N redeploys of dev through Slipway's zero-downtime path,
# timed whole-process, beside a bare `docker-compose up -d` of the same stack plus a wait until the proxy
# answers /health/ready. The engine must be up (./build.sh --target Provision) and dev deployed once
# (./build.sh --target DeployDev). Loopback only; bounded: N deploys, one bare run.
# Usage: bench/deploy.sh [N=5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
n="${1:-5}"
export DOCKER_HOST="${DOCKER_HOST:-unix://$root/.slipway/docker.sock}"
url=http://127.0.0.1:8080/health/ready

echo "== machine: $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"

echo "== Slipway: $n x ./build.sh --target DeployDev --exclusive (lock, backup, migrate, rollout, probes)"
./build.sh --help >/dev/null
for i in $(seq 1 "$n"); do
  start=$(date +%s.%N)
  ./build.sh --target DeployDev --exclusive >/tmp/slipway-bench-deploy.log 2>&1 || { tail -20 /tmp/slipway-bench-deploy.log; exit 1; }
  end=$(date +%s.%N)
  printf 'deploy %d: %.1f s\n' "$i" "$(echo "$end - $start" | bc)"
done

echo "== bare: docker-compose up -d of the same stack (fresh project) + wait for /health/ready through the proxy"
release=artifacts/release.json
api=$(python3 -c "import json;r=json.load(open('$release'));print([i['repository']+'@'+i['digest'] for i in r['images'] if i['service']=='api'][0])")
worker=$(python3 -c "import json;r=json.load(open('$release'));print([i['repository']+'@'+i['digest'] for i in r['images'] if i['service']=='worker'][0])")
export API_IMAGE="$api" WORKER_IMAGE="$worker" POSTGRES_PASSWORD=bench-only PROXY_PORT=18480 PROXY_STATS_PORT=0
dc="docker-compose -p slipway-bench-bare -f compose/stack.yml"
start=$(date +%s.%N)
$dc --profile migrate run --rm migrate >/dev/null 2>&1
$dc up -d >/dev/null 2>&1
for _ in $(seq 1 240); do
  curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:18480/health/ready && break
  sleep 0.25
done
end=$(date +%s.%N)
printf 'bare up + healthy: %.1f s\n' "$(echo "$end - $start" | bc)"
$dc --profile migrate down -v -t 5 >/dev/null 2>&1
