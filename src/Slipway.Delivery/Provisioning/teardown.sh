#!/usr/bin/env bash
# Slipway — stop what provision.sh started: the registry and dockerd, each by the
# pid file provision.sh/dockerd wrote under STATE/run. Keeps images and data
# (STATE/docker-data, STATE/registry-data); pass --purge to delete the state dir too.
#
#   provision/teardown.sh [STATE_DIR] [--purge]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$HERE/../.slipway"; PURGE=
for a; do case "$a" in --purge) PURGE=1 ;; *) STATE="$a" ;; esac; done
STATE="$(cd "$STATE" && pwd)"
RUN="$STATE/run"

# running and not a zombie (orphans can linger as zombies here; kill -0 succeeds on them)
running() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
stop_pidfile() { # NAME PIDFILE
	local name="$1" f="$2" pid
	if [ ! -s "$f" ]; then echo "==> $name: no pid file, nothing to stop"; return; fi
	pid="$(cat "$f")"
	if ! running "$pid"; then echo "==> $name: pid $pid not running"; rm -f "$f"; return; fi
	echo "==> $name: stopping pid $pid"
	kill -TERM "$pid"
	for _ in $(seq 1 120); do running "$pid" || break; sleep 0.25; done
	if running "$pid"; then echo "    still running after 30s, sending KILL"; kill -KILL "$pid"; fi
	rm -f "$f"
}

# Stop running containers first so dockerd shuts down quickly and cleanly.
if [ -S "$STATE/docker.sock" ] && DOCKER_HOST="unix://$STATE/docker.sock" docker info >/dev/null 2>&1; then
	ids="$(DOCKER_HOST="unix://$STATE/docker.sock" docker ps -q)"
	[ -z "$ids" ] || DOCKER_HOST="unix://$STATE/docker.sock" docker stop -t 10 $ids >/dev/null
fi
stop_pidfile registry "$RUN/registry.pid"
stop_pidfile dockerd "$RUN/dockerd.pid"   # dockerd stops its own containerd
rm -f "$STATE/docker.sock"
# dockerd leaves mounts behind (exec-root netns/default nsfs, data-root bind): unmount
# whatever is still mounted under STATE, deepest first.
{ findmnt -rn -o TARGET | grep -F "$STATE/" || true; } | sort -r | while read -r m; do
	umount "$m" 2>/dev/null || umount -l "$m" && echo "==> unmounted $m"
done
# The FORWARD rule provision.sh adds when the host's FORWARD policy is DROP.
while iptables -D FORWARD -i br-+ -o br-+ -m comment --comment slipway-provision -j ACCEPT 2>/dev/null; do
	echo "==> removed iptables FORWARD rule slipway-provision"
done
if [ -n "$PURGE" ]; then
	# The Compose v2 plugin link provision.sh made in the Docker CLI's plugin directory, if it points here.
	plugin="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose"
	if [ "$(readlink "$plugin" 2>/dev/null)" = "$STATE/tools/cli-plugins/docker-compose" ]; then
		rm -f "$plugin" && echo "==> removed the docker compose plugin link $plugin"
	fi
	echo "==> purging $STATE"
	rm -rf "$STATE"
fi
