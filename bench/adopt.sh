#!/usr/bin/env bash
# Adoption figure for bench/RESULTS.md (Step 10): time from an empty directory to the fixture application
# (tests/Fixtures/Shop) deployed to dev, N times: install the template from the packages, scaffold, copy the
# application in, git init, then ./build.sh --target DeployDev (restore Slipway from the feed, build the host,
# build and publish the images, deploy). The packages are packed once, before the timed runs; each run starts
# with Slipway's packages out of the machine's NuGet cache (so they restore from the feed), the third-party ones
# cached as on any developer machine. Sbom and Scan are skipped as in the acceptance test (cdxgen and the
# vulnerability feed are measured elsewhere). The engine must be up; loopback only; every stack is removed.
# Usage: bench/adopt.sh [N=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-3}"
export DOCKER_HOST="${DOCKER_HOST:-unix://$root/.slipway/docker.sock}"
work="$(mktemp -d /tmp/slipway-bench-adopt.XXXXXX)"
version="0.0.0-bench.$(date -u +%Y%m%d%H%M%S)"
feed="$work/feed"
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cleanup() {
  for dir in "$work"/run-*; do
    [ -d "$dir/compose" ] || continue
    (cd "$dir" && WEB_IMAGE=x BILLING_IMAGE=x POSTGRES_PASSWORD=x PROXY_CONFIG=/dev/null \
      docker-compose -p "$(basename "$dir")-dev" -f compose/stack.yml --profile migrate --profile canary down -v --remove-orphans -t 5 >/dev/null 2>&1 || true)
  done
  docker image ls --format '{{.ID}} {{.Repository}}' | awk '/bench-adopt-/ {print $1}' | sort -u | xargs -r docker image rm -f >/dev/null 2>&1 || true
  for package in "$cache"/slipway*; do rm -rf "${package:?}/$version"; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== machine: $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %H:%M') UTC; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== packing every package at $version into $feed (not timed)"
configuration=Release
# The packages under src/ from their Release build when there is one (dotnet build -c Release), else built here.
for project in "$root"/src/*/*.csproj "$root"/templates/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  no_build=()
  if [ -f "$(dirname "$project")/bin/$configuration/net10.0/$name.dll" ]; then no_build=(--no-build); fi
  dotnet pack "$project" -c "$configuration" -o "$feed" -p:Version="$version" --nologo -v q "${no_build[@]}" >/dev/null
done
ls "$feed"

for i in $(seq 1 "$n"); do
  for package in "$cache"/slipway*; do rm -rf "${package:?}/$version"; done
  dir="$work/run-$i"
  port=$((18600 + i))
  mkdir -p "$dir"
  start=$(date +%s.%N)
  hive="$work/hive-$i"   # each run installs the template into an empty hive
  DOTNET_CLI_HOME="$hive" dotnet new install "Slipway.Templates::$version" --add-source "$feed" >/dev/null
  (cd "$dir" && DOTNET_CLI_HOME="$hive" dotnet new slipway -n Shop --frontend web --backend billing --proxy-port "$port" --feed "$feed" >/dev/null)
  cp -r "$root/tests/Fixtures/Shop/src" "$dir/src"
  cp "$root"/tests/Fixtures/Shop/pipelines/*.cs "$dir/pipelines/"
  sed -i "s/project: shop-/project: bench-adopt-$i-/; s/repository_prefix: shop/repository_prefix: bench-adopt-$i/" "$dir/environments/base.yml"
  (cd "$dir" && git init -q -b main && git add -A && git -c user.name=bench -c user.email=bench@slipway.invalid commit -qm scaffold)
  scaffolded=$(date +%s.%N)
  (cd "$dir" && ./build.sh --target DeployDev --skip Sbom --skip Scan >"$work/deploy-$i.log" 2>&1) || { tail -30 "$work/deploy-$i.log"; exit 1; }
  end=$(date +%s.%N)
  curl -fsS --max-time 5 "http://127.0.0.1:$port/version" >/dev/null
  printf 'run %d: %.1f s (scaffold %.1f s, DeployDev %.1f s: host %s)\n' "$i" "$(echo "$end - $start" | bc)" "$(echo "$scaffolded - $start" | bc)" "$(echo "$end - $scaffolded" | bc)" \
    "$(grep -m1 -o 'Building the pipeline host[^.]*' "$work/deploy-$i.log" >/dev/null && echo built || echo cached)"
  grep -E '^│ (Restore|Build|Publish|DeployDev|Total) ' "$work/deploy-$i.log" | tr -s ' ' | sed 's/^/    /'
  (cd "$dir" && WEB_IMAGE=x BILLING_IMAGE=x POSTGRES_PASSWORD=x PROXY_CONFIG=/dev/null \
    docker-compose -p "bench-adopt-$i-dev" -f compose/stack.yml --profile migrate down -v --remove-orphans -t 5 >/dev/null 2>&1 || true)
done
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
