#!/usr/bin/env bash
# Helpers the whole-process benchmarks share (bench/incremental.sh, bench/inner-loop.sh). Source it after setting
# `log` (the run's log directory); it only defines functions.

# Forget every step record and the dev deploy of this checkout: the next DeployDev builds, makes SBOMs, scans,
# publishes and deploys. Removes only the dev stack (Compose project slipway-dev), its lock and its state volume.
dev_reset() {
  rm -rf .slipway/build-state artifacts/sbom artifacts/publish artifacts/release.json .slipway/state/dev
  local label=com.docker.compose.project=slipway-dev
  docker ps -aq --filter "label=$label" | xargs -r docker rm -f >/dev/null
  docker rm -f slipway-dev-slipway-lock >/dev/null 2>&1 || true
  docker volume ls -q --filter "label=$label" | xargs -r docker volume rm >/dev/null
  docker volume rm slipway-dev-slipway-state >/dev/null 2>&1 || true
  docker network ls -q --filter "label=$label" | xargs -r docker network rm >/dev/null
}

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# timed NAME COMMAND…: runs the command with its output in $log/NAME.log, prints its wall time in seconds; stops the
# benchmark when it fails.
timed() {
  local name=$1 s; shift
  s=$(now)
  if ! "$@" >"$log/$name.log" 2>&1; then echo "$name failed: see $log/$name.log" >&2; exit 1; fi
  since "$s"
}

# median VALUE…: "12.3 s (min 11.0, max 14.2)".
median() { python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f'{statistics.median(v):.1f} s (min {min(v):.1f}, max {max(v):.1f})')" "$@"; }

# ratio N A1…AN B…: the median of the first N values over the median of the rest.
ratio() { python3 -c "import statistics,sys; n=int(sys.argv[1]); v=[float(x) for x in sys.argv[2:]]; print(f'{statistics.median(v[:n])/statistics.median(v[n:]):.3f}')" "$@"; }

machine() { echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), dotnet $(dotnet --version), $(date -u '+%F %H:%M') UTC"; }
