#!/usr/bin/env bash
# Whole-process benchmark of the inner loop (issue 19), side by side in one run, N rounds, medians with min and max:
#   first      ./build.sh --target DeployDev with no step records, SBOMs, release.json, dev ledger or dev stack
#   unchanged  the same command again, nothing changed (every step skips, the deploy only probes)
#   change     the same command after a one-line change in the api (a new endpoint line in samples/Api/Program.cs):
#              uncommitted work has its own version, so Build, Sbom, Scan, Publish and the zero-downtime deploy run for
#              the api; the worker's content is unchanged, so its image is tagged with the new version, not rebuilt
#   bare       the yardstick: the same kind of one-line change built and deployed by hand, as a developer without Slipway
#              would: dotnet publish + docker build of the api, then `docker-compose up -d` (recreates the api container,
#              with downtime) and a wait until /health/ready answers 200 through the proxy; `up -d` + wait timed apart
#   publish    Publish of two new images (after a one-line change in the api and a comment line in the worker, built first) beside `docker push`
#              of the same two images' layers to a repository of their own; the order alternates between rounds, so
#              neither always finds the other's layers in the registry
# The deploy step alone is the DeployDev target's time in the change run's summary, against the bare `up -d` + wait;
# the deploy's own "dev: deployed in … s: …" line splits it into its phases, and the SLO probes' share is shown apart.
# Needs the provisioned engine; loopback only; bounded (N rounds). Removes only what it made: the dev stack of this
# checkout (Compose project slipway-dev, its state volume), the bare project slipway-bench-bare, its bench images.
# samples/Api/Program.cs is restored from git at the end.
# Usage: bench/inner-loop.sh [rounds=3]; KEEP_FIRST=1 starts from the dev deploy already there (no "first" run in round 1);
# SLIPWAY_ROOT=<checkout> runs against another checkout (a copy of this script outside it leaves its tree clean).
set -euo pipefail
root="${SLIPWAY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"
rounds="${1:-3}"
export DOCKER_HOST="${DOCKER_HOST:-unix://$root/.slipway/docker.sock}"
log="$(mktemp -d /tmp/slipway-bench-inner-loop.XXXXXX)"
program=samples/Api/Program.cs
worker_program=samples/Worker/Program.cs
registry=127.0.0.1:5000
bare_port=18480
bare="docker-compose -p slipway-bench-bare -f compose/stack.yml"
export POSTGRES_PASSWORD=bench-only PROXY_PORT=$bare_port PROXY_STATS_PORT=0

git diff --quiet -- "$program" "$worker_program" || { echo "$program or $worker_program has uncommitted changes: commit or stash them first" >&2; exit 2; }
cleanup() {
  git checkout -q -- "$program" "$worker_program"
  # The dev stack the last round deployed: left running, it would stop .ci/runner-emulation.sh on this engine.
  if declare -F dev_reset >/dev/null; then dev_reset || true; fi
  API_IMAGE=none WORKER_IMAGE=none PROXY_CONFIG=/dev/null $bare --profile migrate down -v -t 5 >/dev/null 2>&1 || true
  docker images -q 'slipway-bench-bare/api' | sort -u | xargs -r docker rmi -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

# One line in the api: a new endpoint whose answer differs per call of this function, so each build has new content.
change_api() {
  git checkout -q -- "$program"
  python3 - "$program" "$1" <<'EOF'
import sys
path, nonce = sys.argv[1], sys.argv[2]
text = open(path).read()
anchor = "    await app.RunAsync();\n"
assert anchor in text, f"{path}: no '{anchor.strip()}' line to put the change before"
open(path, "w").write(text.replace(anchor, f'    app.MapGet("/bench-nonce", () => "{nonce}");\n' + anchor, 1))
EOF
}

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

# A target's time from the summary table of a run's log, in seconds ("2m2s", "45.6s", "528ms").
target_time() {
  python3 - "$1" "$2" <<'EOF'
import re, sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.match(r"│ " + re.escape(sys.argv[2]) + r"\s+│ \w+\s+│\s*([0-9hms.]+)\s*│", line)
    if m:
        total = 0.0
        for n, u in re.findall(r"([0-9.]+)(ms|h|m|s)", m.group(1)):
            total += float(n) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u]
        print(f"{total:.2f}"); break
else:
    sys.exit(f"{sys.argv[1]}: no {sys.argv[2]} row in the summary")
EOF
}
# A phase's seconds from the deploy's "dev: deployed in … s: preparation 1.8 s, …, SLO probes 4.8 s, …" line.
phase_time() {
  python3 - "$1" "$2" <<'EOF'
import re, sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if re.match(r"dev: deployed in [0-9.]+ s: ", line):
        m = re.search(re.escape(sys.argv[2]) + r" ([0-9.]+) s", line)
        if m:
            print(m.group(1)); break
else:
    sys.exit(f"{sys.argv[1]}: no '{sys.argv[2]}' in a 'dev: deployed in' line")
EOF
}
health_wait() {
  for _ in $(seq 1 480); do
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$bare_port/health/ready" && return 0
    sleep 0.25
  done
  echo "the bare stack did not answer /health/ready within 120 s" >&2; return 1
}
image_of() { python3 -c "import json,sys; r=json.load(open('artifacts/release.json')); print([i['repository']+'@'+i['digest'] for i in r['images'] if i['service']==sys.argv[1]][0])" "$1"; }
# The bare yardstick of one change: build the api by hand, recreate it with docker-compose, wait until it answers.
bare_change() {
  local n=$1 out="$log/bare-publish-$1"
  dotnet publish samples/Api/Api.csproj -c Release -o "$out" --nologo -v q >/dev/null
  docker build -q -f samples/Api/Dockerfile -t "slipway-bench-bare/api:$n" "$out" >/dev/null
  local s; s=$(now)
  API_IMAGE="slipway-bench-bare/api:$n" $bare up -d >/dev/null 2>&1
  health_wait
  since "$s" >"$log/bare-up-$n.txt"
}
push_yardstick() {
  local n=$1 service image
  for service in api worker; do
    image="$registry/slipway/$service:$(cat "$log/version-$n.txt")"
    docker tag "$image" "$registry/slipway-bench-yardstick/$service:$n-$(date +%s%N)"
  done
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$registry/slipway-bench-yardstick/" | grep ":$n-" | \
    xargs -P 2 -I{} docker push -q {} >/dev/null
}

./build.sh --target Restore --verbosity quiet >/dev/null   # the host is built before any timed run
echo "== machine: $(machine)"
echo "== uptime before: $(uptime)"
first=(); again=(); change=(); change_deploy=(); change_probes=(); change_publish=(); bare_total=(); bare_up=(); publish=(); publish_target=(); push=()
for i in $(seq "$rounds"); do
  git checkout -q -- "$program" "$worker_program"
  if [ "$i" != 1 ] || [ "${KEEP_FIRST:-0}" != 1 ]; then
    dev_reset
    first+=("$(timed "first-$i" ./build.sh --target DeployDev)")
  fi
  again+=("$(timed "unchanged-$i" ./build.sh --target DeployDev)")
  grep -q "is already live on dev" "$log/unchanged-$i.log" || { echo "unchanged run $i redeployed: see $log/unchanged-$i.log" >&2; exit 1; }

  # The bare stack runs the release Slipway just deployed, so its `up -d` below recreates the api as a developer's would.
  if [ "$i" = 1 ]; then
    cp .slipway/state/dev/proxy/haproxy.cfg "$log/haproxy.cfg"   # the proxy configuration Slipway rendered for dev
    PROXY_CONFIG="$log/haproxy.cfg"; WORKER_IMAGE=$(image_of worker); export PROXY_CONFIG WORKER_IMAGE
    API_IMAGE=$(image_of api) $bare --profile migrate run --rm migrate >/dev/null 2>&1
    API_IMAGE=$(image_of api) $bare up -d >/dev/null 2>&1
    health_wait
  fi

  change_api "slipway-$i-$RANDOM"
  change+=("$(timed "change-$i" ./build.sh --target DeployDev)")
  grep -q "with uncommitted changes" "$log/change-$i.log" || { echo "change run $i did not build a version of the change: see $log/change-$i.log" >&2; exit 1; }
  change_deploy+=("$(target_time "$log/change-$i.log" DeployDev)")
  change_publish+=("$(target_time "$log/change-$i.log" Publish)")
  change_probes+=("$(phase_time "$log/change-$i.log" "SLO probes")")
  grep -m1 "^dev: deployed in" "$log/change-$i.log" >"$log/change-$i.phases.txt"

  change_api "bare-$i-$RANDOM"
  bare_total+=("$(timed "bare-$i" bare_change "$i")")
  bare_up+=("$(cat "$log/bare-up-$i.txt")")

  # Publish of two new images against docker push of the same two images, in alternating order.
  change_api "publish-$i-$RANDOM"
  printf '// bench: publish-%s-%s\n' "$i" "$RANDOM" >>"$worker_program"   # the worker is a new image too
  timed "build-$i" ./build.sh --target Scan >/dev/null   # Build, Sbom and Scan of the two new images, not timed
  grep -oE 'Release [^ ]+' "$log/build-$i.log" | head -1 | cut -d' ' -f2 | tr '+' '-' >"$log/version-$i.txt"
  if [ $((i % 2)) = 1 ]; then
    push+=("$(timed "push-$i" push_yardstick "$i")")
    publish+=("$(timed "publish-$i" ./build.sh --target Publish)")
  else
    publish+=("$(timed "publish-$i" ./build.sh --target Publish)")
    push+=("$(timed "push-$i" push_yardstick "$i")")
  fi
  publish_target+=("$(target_time "$log/publish-$i.log" Publish)")
done
git checkout -q -- "$program" "$worker_program"

if [ "${#first[@]}" -gt 0 ]; then
  echo "first DeployDev:                 $(median "${first[@]}")   [${first[*]}]"
  echo "unchanged DeployDev:             $(median "${again[@]}")   [${again[*]}]; ratio $(ratio "${#again[@]}" "${again[@]}" "${first[@]}")x the first"
else
  echo "unchanged DeployDev:             $(median "${again[@]}")   [${again[*]}]"
fi
echo "DeployDev after a one-line change: $(median "${change[@]}")   [${change[*]}]"
echo "  its DeployDev target:          $(median "${change_deploy[@]}")   [${change_deploy[*]}]; its Publish target: $(median "${change_publish[@]}")"
echo "  its SLO probes:                $(median "${change_probes[@]}")   [${change_probes[*]}]; phases of each: $(cat "$log"/change-*.phases.txt | cut -d: -f2- | paste -sd '|')"
echo "bare: publish + build + up -d + health wait: $(median "${bare_total[@]}")   [${bare_total[*]}]"
echo "bare: up -d + health wait:       $(median "${bare_up[@]}")   [${bare_up[*]}]"
echo "ratio change / bare:             $(ratio "$rounds" "${change[@]}" "${bare_total[@]}")x (target <= 2)"
echo "ratio deploy step / bare up+wait: $(ratio "$rounds" "${change_deploy[@]}" "${bare_up[@]}")x (target <= 1.5)"
without=(); for j in $(seq 0 $((rounds - 1))); do without+=("$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.2f}')" "${change_deploy[$j]}" "${change_probes[$j]}")"); done
echo "  the same without its SLO probes: $(median "${without[@]}") = $(ratio "$rounds" "${without[@]}" "${bare_up[@]}")x (for the record: the target counts the probes)"
echo "Publish of two new images (whole process): $(median "${publish[@]}")   [${publish[*]}]; its Publish target $(median "${publish_target[@]}")"
echo "docker push of the same two images:        $(median "${push[@]}")   [${push[*]}]"
echo "ratio Publish target / docker push: $(ratio "$rounds" "${publish_target[@]}" "${push[@]}")x; whole process / docker push: $(ratio "$rounds" "${publish[@]}" "${push[@]}")x (target <= 1.2)"
echo "== uptime after: $(uptime); logs in $log"
