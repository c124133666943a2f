#!/usr/bin/env bash
# The Compose delivery stories under a busy machine (issue 17 pt 7): a fresh clone of HEAD runs the deploy and canary
# stories (and any more named by FILTER) RUNS times in a row while two bounded CPU burners keep both cores busy, and
# prints each run's result and the proxy-log figures the stories report (first 5xx → decision, decision → last request
# routed to the bad release). The engine must be up (./build.sh --target Provision); the clone uses this checkout's
# .slipway/docker.sock and .slipway/tools. Bounded: each burner ends after BURN seconds at most (default 2700: a run of
# the three stories takes 25-35 min on a busy machine, and the burners must last the whole run) and is killed by its pid
# when its run ends; the clone is removed.
# LOGS=DIR keeps each run's full test log there, and the logs of the run's proxy, api and postgres containers, taken
# every 20 s while the run lasts (the stories tear their stacks down, so a failure's proxy log is otherwise gone).
# Usage: bench/stories-under-load.sh [RUNS=3]   (FILTER, BURN, LOGS may be set in the environment)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
filter="${FILTER:-FullyQualifiedName~ComposeDeployTests|FullyQualifiedName~ComposeCanaryTests}"
burn="${BURN:-2700}"
clone="$(mktemp -d /tmp/slipway-stories.XXXXXX)"
logs="${LOGS:-}"
burners=()
watcher=""
cleanup() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "$watcher" ] || kill "$watcher" 2>/dev/null || true
  rm -rf "$clone"
}
trap cleanup EXIT

# The stories' containers (Compose projects of a test workspace under the temp directory; another run's may be among
# them, the file names say the project), their logs copied every 20 s, bounded to two hours.
watch_containers() {
  local dir="$1" docker="docker -H unix://$(readlink -f "$root/.slipway/docker.sock")" id name
  for _ in $(seq 1 360); do
    for id in $($docker ps --all --quiet --filter label=com.docker.compose.project 2>/dev/null); do
      name=$($docker inspect --format '{{index .Config.Labels "com.docker.compose.project.working_dir"}} {{.Name}}' "$id" 2>/dev/null) || continue
      case "$name" in "${TMPDIR:-/tmp}"/slipway-itest/*) $docker logs --timestamps "$id" >"$dir/${name##*/}.log" 2>&1 || true ;; esac
    done
    sleep 20
  done
}

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
  if [ -n "$logs" ]; then
    mkdir -p "$logs/run-$i"
    watch_containers "$logs/run-$i" &
    watcher=$!
  fi
  if dotnet test tests/Slipway.IntegrationTests -c Release --no-build --filter "$filter" --logger "console;verbosity=detailed" >"$log" 2>&1; then result=passed; else result=FAILED; status=1; fi
  echo "== run $i: $result in $(( $(date +%s) - start )) s; load $(cut -d' ' -f1-3 /proc/loadavg); burners ${burners[*]} (timeout ${burn}s each)"
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$logs" ]; then kill "$watcher" 2>/dev/null || true; watcher=""; cp "$log" "$logs/run-$i/test.log"; fi
  grep -E "first 5xx|decision to last request|requests, [0-9]+ failed|zero-downtime:|Passed |Failed |Total tests" "$log" | sed 's/^ */   /' || true
  if [ "$result" = FAILED ]; then grep -E "Assert|Error Message" -A3 "$log" | head -40 | sed 's/^/   /'; fi
done
exit $status
