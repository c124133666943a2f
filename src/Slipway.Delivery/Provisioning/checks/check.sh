#!/usr/bin/env bash
# Slipway — integration checks of the provisioned host (item 6 of the Provision issue):
# docker-compose 1.29 via DOCKER_HOST (healthchecks, depends_on: service_healthy), push to
# the local registry by digest, what a container can reach, helm and cdxgen from STATE/tools.
# Needs provision.sh and smoke.sh (for the published hello app) to have run.
#
#   provision/checks/check.sh [STATE_DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$(cd "${1:-$HERE/../../.slipway}" && pwd)"
. "$STATE/env.sh"
REG="${SLIPWAY_REGISTRY:-127.0.0.1:5000}"
T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
ok() { printf '    ok  %s (%ss)\n' "$1" "$(since "$T0")"; }
fail() { printf '    FAIL %s\n' "$1" >&2; exit 1; }
check() { local d="$1"; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
eq() { [ "$1" = "$2" ] || { echo "      expected '$2', got '$1'" >&2; return 1; }; }
export SMOKE_APP_DIR="$STATE/smoke/hello"
[ -e "$SMOKE_APP_DIR/hello.dll" ] || fail "run provision/smoke.sh first (it publishes the hello app)"
compose() { docker-compose -p slipwaycheck -f "$HERE/docker-compose.yml" "$@"; }
cleanup() {
	compose down -v --remove-orphans >/dev/null 2>&1 || true
	docker network rm slipway-check-probe >/dev/null 2>&1 || true
	docker rmi "$REG/slipway/check:1" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "==> docker-compose $(docker-compose version --short) against $DOCKER_HOST"
compose up -d --quiet-pull 2>&1 | sed 's/^/    /'
ok "compose up (waits for service_healthy)"
for s in db cache app; do
	check "$s healthy" eq "$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q "$s")")" healthy
done
started() { docker inspect -f '{{.State.StartedAt}}' "$(compose ps -q "$1")"; }
check "app started after db and cache, proxy after app" \
	bash -c '[[ "$1" > "$2" && "$1" > "$3" && "$4" > "$1" ]]' _ "$(started app)" "$(started db)" "$(started cache)" "$(started proxy)"
check "proxy -> app on 127.0.0.1:18082" grep -q '"uid":"1654"' <<<"$(curl -fsS http://127.0.0.1:18082/)"
compose down -v >/dev/null 2>&1; ok "compose down"

echo "==> registry $REG: push by digest"
ctx="$STATE/build/check-push"; mkdir -p "$ctx"
printf 'FROM slipway/debian:bookworm\nRUN date > /built-at\n' > "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$REG/slipway/check:1" "$ctx" >/dev/null 2>&1
digest="$(docker push "$REG/slipway/check:1" | sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p')"
check "pushed, digest $digest" test -n "$digest"
hdr="$(curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/slipway/check/manifests/1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}')"
check "HEAD manifest: Docker-Content-Digest matches" eq "$hdr" "$digest"
docker rmi "$REG/slipway/check:1" >/dev/null
check "pull by digest" eq "$(docker pull -q "$REG/slipway/check@$digest")" "$REG/slipway/check@$digest"
docker rmi "$REG/slipway/check@$digest" >/dev/null
check "DELETE by digest (delete enabled)" eq "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$REG/v2/slipway/check/manifests/$digest")" 202

echo "==> what a container reaches"
docker network create slipway-check-probe >/dev/null
gw="$(docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' slipway-check-probe)"
tcp() { docker run --rm --network "$1" slipway/debian:bookworm timeout 3 bash -c "exec 3<>/dev/tcp/$2/${3}" 2>/dev/null; }
not() { ! "$@"; }
check "on a project network: 127.0.0.1:5000 is the container itself (refused)" not tcp slipway-check-probe 127.0.0.1 5000
check "on a project network: host gateway $gw:5000 refused (registry binds 127.0.0.1)" not tcp slipway-check-probe "$gw" 5000
check "with --network host: 127.0.0.1:5000 reachable" tcp host 127.0.0.1 5000

echo "==> tools"
helm="$(helm version --short)"
chart="$STATE/build/check-chart"; rm -rf "$chart"; helm create "$chart" >/dev/null
check "helm $helm: lint" helm lint "$chart" --quiet
check "helm template renders a Deployment" grep -q 'kind: Deployment' <<<"$(helm template smoke "$chart")"
sbom="$STATE/build/check-redis.cdx.json"
FETCH_LICENSE=false cdxgen -t docker redis:7 -o "$sbom" > "$STATE/logs/check-cdxgen.log" 2>&1
check "cdxgen $(cdxgen --version 2>/dev/null | sed -n 's/.*Generator \([0-9.]*\).*/\1/p'): SBOM of redis:7 via DOCKER_HOST" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["specVersion"]=="1.7"; assert any(c["name"]=="redis-server" for c in d["components"]); print("      spec", d["specVersion"], len(d["components"]), "components")' "$sbom"
printf '==> checks passed in %ss\n' "$(since "$T0")"
