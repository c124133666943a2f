#!/usr/bin/env bash
# The Compose delivery stories under a busy machine (issue 17 pt 7): a fresh clone of HEAD runs the deploy and canary
# stories (and any more named by FILTER) RUNS times in a row while two bounded CPU burners keep both cores busy, and
# prints each run's result and the proxy-log figures the stories report (first 5xx → decision, decision → last request
# routed to the bad release). The engine must be up (./build.sh --target Provision); the clone uses this checkout's
# .slipway/docker.sock and .slipway/tools. Bounded: each burner ends after BURN seconds at most and is killed by its pid
# when its run ends; the clone is removed.
# Usage: bench/stories-under-load.sh [RUNS=3]   (FILTER, BURN may be set in the environment)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
filter="${FILTER:-FullyQualifiedName~ComposeDeployTests|FullyQualifiedName~ComposeCanaryTests}"
burn="${BURN:-900}"
clone="$(mktemp -d /tmp/slipway-stories.XXXXXX)"
burners=()
cleanup() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$clone"
}
trap cleanup EXIT

git clone -q "$root" "$clone/repo"
mkdir -p "$clone/repo/.slipway"
ln -s "$(readlink -f "$root/.slipway/docker.sock")" "$clone/repo/.slipway/docker.sock"
ln -s "$(readlink -f "$root/.slipway/tools")" "$clone/repo/.slipway/tools"
cd "$clone/repo"
echo "== $(git log -1 --format='%h %s' | cut -c1-100)"
echo "== machine: $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build tests/Slipway.IntegrationTests -c Release >"$clone/build.log" 2>&1 || { tail -30 "$clone/build.log"; exit 1; }

status=0
for i in $(seq 1 "$runs"); do
  burners=()
  for _ in 1 2; do
    timeout "$burn" sh -c 'while :; do :; done' &
    burners+=($!)
  done
  start=$(date +%s)
  log="$clone/run-$i.log"
  if dotnet test tests/Slipway.IntegrationTests -c Release --no-build --filter "$filter" --logger "console;verbosity=detailed" >"$log" 2>&1; then result=passed; else result=FAILED; status=1; fi
  echo "== run $i: $result in $(( $(date +%s) - start )) s; load $(cut -d' ' -f1-3 /proc/loadavg); burners ${burners[*]} (timeout ${burn}s each)"
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
  grep -E "first 5xx|decision to last request|requests, [0-9]+ failed|zero-downtime:|Passed |Failed |Total tests" "$log" | sed 's/^ */   /' || true
  if [ "$result" = FAILED ]; then grep -E "Assert|Error Message" -A3 "$log" | head -40 | sed 's/^/   /'; fi
done
exit $status
