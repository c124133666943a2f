#!/usr/bin/env bash
# Whole-process benchmark of Build on the real engine (Step 3): cold Build against a no-op rebuild,
# and cold Build with --parallel 1 against the default. Needs a provisioned engine (./build.sh
# --target Provision). Usage: bench/build.sh [runs] — prints medians for bench/RESULTS.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
export DOCKER_HOST="${DOCKER_HOST:-unix://$root/.slipway/docker.sock}"

cold_reset() {
  # Forget the last builds and remove the images, so the next Build does everything again.
  rm -rf .slipway/build-state artifacts/publish
  docker image ls --format '{{.ID}} {{.Repository}}' | awk '$2 ~ /\/slipway\/(api|worker)$/ {print $1}' | sort -u | xargs -r docker image rm --force >/dev/null
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.2f}')" "$@"; }
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); python3 -c "print($e-$s)"; }

./build.sh --target Build --skip Restore --verbosity quiet >/dev/null   # warm the host and NuGet caches

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), dotnet $(dotnet --version), $(date -u +%F)"
cold=(); noop=(); serial=()
for _ in $(seq "$runs"); do
  cold_reset; cold+=("$(timed ./build.sh --target Build --skip Restore --verbosity quiet)")
  noop+=("$(timed ./build.sh --target Build --skip Restore --verbosity quiet)")
  cold_reset; serial+=("$(timed ./build.sh --target Build --skip Restore --verbosity quiet --parallel 1)")
done
c=$(median "${cold[@]}"); n=$(median "${noop[@]}"); p=$(median "${serial[@]}")
echo "cold Build (default --parallel $(nproc)): median ${c}s over $runs runs (${cold[*]})"
echo "no-op Build: median ${n}s ($(python3 -c "print(f'{100*$n/$c:.1f}')")% of cold) (${noop[*]})"
echo "cold Build --parallel 1: median ${p}s ($(python3 -c "print(f'{$p/$c:.2f}')")x the default) (${serial[*]})"
