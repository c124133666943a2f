#!/usr/bin/env bash
# Whole-process benchmark of the inner loop (Step 14): the main job, ./build.sh --target DeployDev, run first
# (no step records, no dev stack, no dev ledger) against the same command run again with nothing changed (every
# step skips on its inputs, the deploy only probes). Each timed run is the whole process: bootstrap, host, targets.
# Needs a provisioned engine (the dev stack runs on it; loopback only). "First" keeps Docker's layer cache and the
# registry's blobs (images of other branches share the engine): it is the first DeployDev of a commit on a machine
# that built before, not a cold machine. Removes only the dev stack of this checkout (Compose project slipway-dev).
# Usage: bench/incremental.sh [runs=3] — prints the medians for bench/RESULTS.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
export DOCKER_HOST="${DOCKER_HOST:-unix://$root/.slipway/docker.sock}"
log="$(mktemp -d /tmp/slipway-bench-incremental.XXXXXX)"

first_reset() {
  # Forget every step record and the dev deploy: the next DeployDev builds, makes SBOMs, scans, publishes, deploys.
  rm -rf .slipway/build-state artifacts/sbom artifacts/publish artifacts/release.json .slipway/state/dev
  local label=com.docker.compose.project=slipway-dev
  docker ps -aq --filter "label=$label" | xargs -r docker rm -f >/dev/null
  docker volume ls -q --filter "label=$label" | xargs -r docker volume rm >/dev/null
  docker network ls -q --filter "label=$label" | xargs -r docker network rm >/dev/null
}

median() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f'{statistics.median(v):.1f} s (min {min(v):.1f}, max {max(v):.1f})')" "$@"; }
timed() {
  local name=$1 s e; shift
  s=$(date +%s.%N)
  if ! "$@" >"$log/$name.log" 2>&1; then echo "$name failed: see $log/$name.log" >&2; exit 1; fi
  e=$(date +%s.%N); python3 -c "print(f'{$e-$s:.2f}')"
}

./build.sh --target Restore --verbosity quiet >/dev/null   # the host is built before any timed run
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), dotnet $(dotnet --version), $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
first=(); again=()
for i in $(seq "$runs"); do
  first_reset
  first+=("$(timed "first-$i" ./build.sh --target DeployDev)")
  again+=("$(timed "unchanged-$i" ./build.sh --target DeployDev)")
  grep -q "is already live on dev" "$log/unchanged-$i.log" || { echo "unchanged run $i redeployed: see $log/unchanged-$i.log" >&2; exit 1; }
done
f=$(median "${first[@]}"); u=$(median "${again[@]}")
ratio=$(python3 -c "import statistics,sys; n=int(sys.argv[1]); v=[float(x) for x in sys.argv[2:]]; print(f'{statistics.median(v[n:])/statistics.median(v[:n]):.3f}')" "$runs" "${first[@]}" "${again[@]}")
echo "first DeployDev:     median $f over $runs runs (${first[*]})"
echo "unchanged DeployDev: median $u (${again[*]}); ratio ${ratio}x the first"
for i in $(seq "$runs"); do
  echo "-- targets of unchanged run $i:"; grep -E '│ (Restore|Build|Sbom|Scan|Publish|DeployDev|Total) ' "$log/unchanged-$i.log" | cut -c1-150
done
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg); logs in $log"
