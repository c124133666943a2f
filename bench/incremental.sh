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

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

./build.sh --target Restore --verbosity quiet >/dev/null   # the host is built before any timed run
echo "== machine: $(machine), load $(cut -d' ' -f1-3 /proc/loadavg)"
first=(); again=()
for i in $(seq "$runs"); do
  dev_reset
  first+=("$(timed "first-$i" ./build.sh --target DeployDev)")
  again+=("$(timed "unchanged-$i" ./build.sh --target DeployDev)")
  grep -q "is already live on dev" "$log/unchanged-$i.log" || { echo "unchanged run $i redeployed: see $log/unchanged-$i.log" >&2; exit 1; }
done
f=$(median "${first[@]}"); u=$(median "${again[@]}")
ratio=$(ratio "$runs" "${again[@]}" "${first[@]}")
echo "first DeployDev:     median $f over $runs runs (${first[*]})"
echo "unchanged DeployDev: median $u (${again[*]}); ratio ${ratio}x the first"
for i in $(seq "$runs"); do
  echo "-- targets of unchanged run $i:"; grep -E '│ (Restore|Build|Sbom|Scan|Publish|DeployDev|Total) ' "$log/unchanged-$i.log" | cut -c1-150
done
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg); logs in $log"
