#!/usr/bin/env bash
# Slipway — smoke checks of the local stand-in images, on a Docker network of our own,
# ports published on 127.0.0.1 only. Needs provision.sh to have run. Cleans up after itself.
#
#   provision/smoke.sh [STATE_DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$(cd "${1:-$HERE/../.slipway}" && pwd)"
export DOCKER_HOST="unix://$STATE/docker.sock"
NET=slipway-smoke
P=slipway-smoke   # container name prefix
T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
ok() { printf '    ok  %s (%ss)\n' "$1" "$(since "$T0")"; }
fail() { printf '    FAIL %s\n' "$1" >&2; exit 1; }
# check DESC TEST...: run TEST (a command), ok or fail loudly
check() { local d="$1"; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
eq() { [ "$1" = "$2" ] || { echo "      expected '$2', got '$1'" >&2; return 1; }; }
cleanup() {
	docker rm -f "$P-pg" "$P-redis" "$P-hello" "$P-haproxy" >/dev/null 2>&1 || true
	docker network rm "$NET" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
docker network create "$NET" >/dev/null
# wait_healthy NAME: the image-independent healthcheck given with --health-cmd
wait_healthy() {
	for _ in $(seq 1 120); do
		case "$(docker inspect -f '{{.State.Health.Status}}' "$1")" in
			healthy) return 0 ;;
			unhealthy) docker logs "$1" | tail -20 >&2; return 1 ;;
		esac
		sleep 0.5
	done
	docker logs "$1" | tail -20 >&2; return 1
}

echo "==> postgres:15"
mkdir -p "$STATE/smoke/initdb"
echo "CREATE TABLE smoke(id int); INSERT INTO smoke VALUES (42);" > "$STATE/smoke/initdb/01-smoke.sql"
# a non-executable .sh is sourced by the entrypoint, as in the official image
cat > "$STATE/smoke/initdb/02-smoke.sh" <<'SH'
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c 'INSERT INTO smoke VALUES (43)'
SH
docker run -d --name "$P-pg" --network "$NET" -p 127.0.0.1:15432:5432 \
	-e POSTGRES_PASSWORD=smoke-pw -e POSTGRES_USER=slipway -e POSTGRES_DB=appdb \
	-v "$STATE/smoke/initdb:/docker-entrypoint-initdb.d:ro" \
	--health-cmd 'pg_isready -U slipway -d appdb -h 127.0.0.1' --health-interval 1s --health-retries 60 \
	postgres:15 >/dev/null
wait_healthy "$P-pg"; ok "healthy (pg_isready)"
# password auth over TCP from another container on the network (scram-sha-256)
out="$(docker run --rm --network "$NET" -e PGPASSWORD=smoke-pw postgres:15 \
	psql -h "$P-pg" -U slipway -d appdb -tAc "select string_agg(id::text, ',' order by id) from smoke")"
check "psql over the network with password; initdb.d .sql and .sh ran" eq "$out" 42,43
if docker run --rm --network "$NET" -e PGPASSWORD=wrong postgres:15 psql -h "$P-pg" -U slipway -d appdb -c 'select 1' >/dev/null 2>&1; then
	echo "    FAIL wrong password accepted"; exit 1
fi
ok "wrong password refused"
check "server runs as postgres" eq "$(docker exec "$P-pg" stat -c %U /proc/1)" postgres
docker exec "$P-pg" pg_dump -U slipway -Fc appdb > "$STATE/smoke/appdb.dump"
docker exec -i "$P-pg" sh -c 'createdb -U slipway restored && pg_restore -U slipway -d restored' < "$STATE/smoke/appdb.dump"
check "pg_dump -Fc | pg_restore" eq "$(docker exec "$P-pg" psql -U slipway -d restored -tAc 'select count(*) from smoke')" 2
check "published on 127.0.0.1:15432" docker run --rm --network host postgres:15 pg_isready -q -h 127.0.0.1 -p 15432

echo "==> redis:7"
docker run -d --name "$P-redis" --network "$NET" -p 127.0.0.1:16379:6379 \
	--health-cmd 'redis-cli ping | grep -q PONG' --health-interval 1s --health-retries 30 redis:7 >/dev/null
wait_healthy "$P-redis"; ok "healthy (redis-cli ping)"
docker run --rm --network "$NET" redis:7 redis-cli -h "$P-redis" set k v >/dev/null
check "set/get from another container (protected mode off)" eq "$(docker run --rm --network "$NET" redis:7 redis-cli -h "$P-redis" get k)" v
check "data dir /data" eq "$(docker exec "$P-redis" redis-cli config get dir | tail -1)" /data
check "runs as redis" eq "$(docker exec "$P-redis" stat -c %U /proc/1)" redis

echo "==> mcr.microsoft.com/dotnet/aspnet:10.0 (+ runtime-deps)"
check "runtime-deps: user app is 1654" eq "$(docker run --rm mcr.microsoft.com/dotnet/runtime-deps:10.0 id -u app)" 1654
if [ ! -e "$STATE/smoke/hello/hello.dll" ]; then
	dotnet publish "$HERE/smoke/hello/hello.csproj" -c Release -o "$STATE/smoke/hello" \
		-p:BaseOutputPath="$STATE/smoke/hello-bin/" -p:BaseIntermediateOutputPath="$STATE/smoke/hello-obj/" \
		--nologo -v q > "$STATE/logs/smoke-hello-publish.log" 2>&1 || { tail -20 "$STATE/logs/smoke-hello-publish.log"; exit 1; }
fi
docker run -d --name "$P-hello" --network "$NET" --network-alias hello -p 127.0.0.1:18080:8080 \
	-u 1654 -v "$STATE/smoke/hello:/app:ro" -w /app mcr.microsoft.com/dotnet/aspnet:10.0 dotnet hello.dll >/dev/null
for _ in $(seq 1 60); do curl -fsS -m 1 http://127.0.0.1:18080/ >/dev/null 2>&1 && break; sleep 0.25; done
body="$(curl -fsS http://127.0.0.1:18080/)"; echo "    $body"
check "ASP.NET app on :8080 as app (ICU, OpenSSL loaded)" \
	grep -qE '^\{"user":"app","uid":"1654","runtime":".NET 10\.0\.[0-9]+","culture":",","tls":32\}$' <<<"$body"

echo "==> haproxy:2.6"
docker run -d --name "$P-haproxy" --network "$NET" -p 127.0.0.1:18404:8404 -p 127.0.0.1:18081:8080 \
	-v "$HERE/smoke/haproxy:/usr/local/etc/haproxy:ro" \
	--health-cmd 'echo "show info" | socat stdio /var/run/haproxy/admin.sock | grep -q ^Pid:' \
	--health-interval 1s --health-retries 30 haproxy:2.6 >/dev/null
wait_healthy "$P-haproxy"; ok "healthy (runtime API: show info over the admin socket)"
stats="$(curl -fsS http://127.0.0.1:18404/stats)"
check "stats page on 127.0.0.1:18404" grep -q 'Statistics Report' <<<"$stats"
for _ in $(seq 1 40); do curl -fsS -m 1 http://127.0.0.1:18081/ >/dev/null 2>&1 && break; sleep 0.25; done
check "proxies to the ASP.NET app" eq "$(curl -fsS http://127.0.0.1:18081/)" "$body"
docker exec "$P-haproxy" sh -c 'echo "set server app/app1 state drain" | socat stdio /var/run/haproxy/admin.sock' >/dev/null
state="$(docker exec "$P-haproxy" sh -c 'echo "show stat" | socat stdio /var/run/haproxy/admin.sock' | awk -F, '$1=="app" && $2=="app1" {print $18}')"
check "runtime API: drain a server (status $state)" eq "$state" DRAIN
check "runs as haproxy (pid 1: $(docker exec "$P-haproxy" cat /proc/1/cmdline | tr '\0' ' '))" eq "$(docker exec "$P-haproxy" stat -c %U /proc/1)" haproxy
printf '==> smoke passed in %ss\n' "$(since "$T0")"
