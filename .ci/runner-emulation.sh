#!/usr/bin/env bash
# GitHub-hosted-runner emulation (issue 16, point 6), run by .ci/run after green tests (a fresh-clone .ci/run of ee92a33
# ran it green in 989 s), as root, with the engine and the tools Provision started in .slipway/. What a hosted runner has is made here, for the time of the run:
#   a non-root user with passwordless sudo, in the docker group; an engine on /var/run/docker.sock (a link to the
#   engine .ci/run started, when nothing is there); the Compose v2 plugin only (~/.docker/cli-plugins/docker-compose,
#   no docker-compose on PATH); helm and kubectl on PATH (the kube double's for release.yml's deploy-prod: no
#   Kubernetes API server can run here); cosign on PATH once cosign-installer ran.
# Each job of the committed workflows, read by .ci/WorkflowJobs (YamlDotNet), runs its steps in order in its own fresh
# clone, as that user, with the GITHUB_* variables and real $GITHUB_OUTPUT/$GITHUB_ENV/$GITHUB_STEP_SUMMARY files
# (.ci/runner-job.sh). Only what the workflow uploads passes between jobs (release.json, the SBOMs; upload/download-artifact are copies).
# Then it asserts: images published once, signed, staging deployed, a second runner's History shows the first's
# deploys, two runners deploying at once serialise, rollback.yml from another clone returns staging to the
# previous revision, and release.yml on a tag publishes and signs under prod's prefix and runs deploy-prod (below). Everything it made (user, sudoers file, socket link, sudo package, stack) is removed at the end.
# Usage: .ci/runner-emulation.sh  (exit 0 green, 1 an assertion or a job failed, 2 cannot run here)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

user=slipway-runner
repository=slipway-dev/slipway
registry=127.0.0.1:5000
t0=$(date +%s)

say() { printf '[runner-emulation %4ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
fail() { printf '[runner-emulation] FAILED: %s\n' "$*" >&2; exit 1; }
cannot() { printf '[runner-emulation] cannot run: %s\n' "$*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || cannot "it creates a user and /etc/sudoers.d/$user: run it as root (as .ci/run does on the CI machine)"
if id "$user" >/dev/null 2>&1; then cannot "the user $user already exists (a run killed before its cleanup?): remove it (userdel -r $user) and /etc/sudoers.d/$user"; fi
engine_socket="$root/.slipway/docker.sock"
[ -S "$engine_socket" ] || cannot "no engine at $engine_socket: run it after ./build.sh --target Test --provision (.ci/run does)"
# It deploys and at the end removes the Compose projects slipway-dev and slipway-staging: never someone else's.
for project in slipway-dev slipway-staging; do
  if [ -n "$(DOCKER_HOST="unix://$engine_socket" docker ps -aq --filter "label=com.docker.compose.project=$project")" ] ||
    DOCKER_HOST="unix://$engine_socket" docker volume inspect "$project-slipway-state" >/dev/null 2>&1; then
    cannot "the engine already has the Compose project $project or its state volume $project-slipway-state, which the emulation deploys and removes: remove them first or use another engine"
  fi
done

emu="$(mktemp -d /tmp/slipway-runner-emulation.XXXXXX)"
chmod 755 "$emu"
made_socket_link="" installed_sudo=""
cleanup() {
  local status=$?
  set +e
  say "cleanup: staging and dev stacks and state volumes, user $user, sudoers file${made_socket_link:+, /var/run/docker.sock link}${installed_sudo:+, the sudo package}"
  for project in slipway-staging slipway-dev; do
    DOCKER_HOST="unix://$engine_socket" docker compose -p "$project" down --volumes --remove-orphans >/dev/null 2>&1
    for c in $(DOCKER_HOST="unix://$engine_socket" docker ps -aq --filter "label=com.docker.compose.project=$project") "$project-slipway-lock"; do
      DOCKER_HOST="unix://$engine_socket" docker rm -f "$c" >/dev/null 2>&1
    done
    # The ledger's volume (delivery.state on the Docker host) is not the project's: compose down leaves it.
    DOCKER_HOST="unix://$engine_socket" docker volume rm -f "$project-slipway-state" >/dev/null 2>&1
  done
  rm -f "/etc/sudoers.d/$user"
  # What the jobs left running as the user (a build server despite MSBUILDDISABLENODEREUSE), by pid, then the user.
  for pid in $(pgrep -u "$user" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  sleep 1
  userdel "$user" >/dev/null 2>&1 || echo "[runner-emulation] warning: could not remove the user $user (userdel $user)" >&2
  if [ -n "$made_socket_link" ]; then rm -f /var/run/docker.sock; fi
  # SUDO_FORCE_REMOVE: the package refuses its removal when root has no password, as on this machine.
  if [ -n "$installed_sudo" ]; then SUDO_FORCE_REMOVE=yes DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq sudo >/dev/null 2>&1 || echo "[runner-emulation] warning: could not remove the sudo package it installed" >&2; fi
  rm -rf "$emu"
  exit $status
}
trap cleanup EXIT
trap "exit 130" INT TERM HUP PIPE

# ---------------------------------------------------------------- the runner machine
say "reader of the workflows (.ci/WorkflowJobs, YamlDotNet)"
dotnet build .ci/WorkflowJobs --configuration Release --output "$emu/reader" --nologo --verbosity quiet >"$emu/reader.log" 2>&1 ||
  { cat "$emu/reader.log" >&2; cannot "the workflow reader did not build"; }

if ! command -v sudo >/dev/null 2>&1; then
  say "installing sudo (hosted runners have it; removed at the end)"
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq sudo >"$emu/apt.log" 2>&1 || { cat "$emu/apt.log" >&2; cannot "apt-get install sudo failed"; }
  installed_sudo=yes
fi
socket_group="$(stat -L -c %G "$engine_socket")"
useradd --home-dir "$emu/home" --create-home --shell /bin/bash --user-group --groups "$socket_group" "$user"
echo "$user ALL=(ALL) NOPASSWD:ALL" >"/etc/sudoers.d/$user"
chmod 440 "/etc/sudoers.d/$user"
as_runner() { runuser -u "$user" -- "$@"; }
as_runner sudo -n true || fail "passwordless sudo does not work for $user"

if DOCKER_HOST=unix:///var/run/docker.sock docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  say "an engine already answers on /var/run/docker.sock: used as it is"
elif [ -e /var/run/docker.sock ] || [ -L /var/run/docker.sock ]; then
  cannot "/var/run/docker.sock exists but no engine answers there: left as it is"
else
  ln -s "$engine_socket" /var/run/docker.sock
  made_socket_link=yes
fi
as_runner env -u DOCKER_HOST docker version --format "{{.Server.Version}}" >/dev/null 2>"$emu/engine.log" || { cat "$emu/engine.log" >&2;
  cannot "$user cannot reach the engine through /var/run/docker.sock (is $engine_socket under a directory only root can enter?)"; }

# Compose v2 as the user's CLI plugin, from the Debian 13 binary Provision unpacked; no docker-compose on PATH.
mkdir -p "$emu/home/.docker/cli-plugins"
cp -L .slipway/tools/cli-plugins/docker-compose "$emu/home/.docker/cli-plugins/docker-compose"
# helm, kubectl and the other command-line tools a job finds on PATH (cdxgen, actionlint, action-validator are
# not on a hosted runner: --provision would fetch them into each clone's .slipway/tools; here they are on PATH,
# which keeps the emulation short). Not cosign (cosign-installer adds it) and not docker-compose.
mkdir -p "$emu/bin" "$emu/toolcache/cosign"
for tool in .slipway/tools/bin/*; do
  case "${tool##*/}" in cosign | docker-compose) ;; *) ln -s "$(readlink -f "$tool")" "$emu/bin/${tool##*/}" ;; esac
done
for tool in terraform; do
  if command -v "$tool" >/dev/null 2>&1; then ln -sf "$(command -v "$tool")" "$emu/bin/$tool"; fi
done
# cosign as sigstore/cosign-installer puts it on PATH. Staging signs keyless (GitHub's OIDC token, Fulcio, Rekor),
# which has no offline form: the repository's cosign double stands in for it (tests/Slipway.CosignDouble), its
# signatures kept in a directory every runner shares, as the registry would keep them.
double="$(ls -d tests/Slipway.CosignDouble/bin/*/net10.0 2>/dev/null | head -n 1 || true)"
if [ -z "$double" ]; then
  dotnet build tests/Slipway.CosignDouble --configuration Release --nologo --verbosity quiet >"$emu/double.log" 2>&1 || { cat "$emu/double.log" >&2; cannot "the cosign double did not build"; }
  double=tests/Slipway.CosignDouble/bin/Release/net10.0
fi
cp -a "$double/." "$emu/toolcache/cosign/"
# prod is a Helm release on Kubernetes, and no Kubernetes API server can run here: release.yml's deploy-prod job
# finds the repository's kube double (tests/Slipway.KubeDouble, "not Helm, not kubectl") as helm and kubectl on its
# PATH, its pretend cluster in $emu/kube-double/cluster, and the real helm behind it for `helm template`.
kube_double="$(ls -d tests/Slipway.KubeDouble/bin/*/net10.0 2>/dev/null | head -n 1 || true)"
if [ -z "$kube_double" ]; then
  dotnet build tests/Slipway.KubeDouble --configuration Release --nologo --verbosity quiet >"$emu/kube-double.log" 2>&1 || { cat "$emu/kube-double.log" >&2; cannot "the kube double did not build"; }
  kube_double=tests/Slipway.KubeDouble/bin/Release/net10.0
fi
mkdir -p "$emu/kube-double/bin" "$emu/kube-double/cluster"
cp -a "$kube_double/." "$emu/kube-double/bin/"
real_helm="$(readlink -f .slipway/tools/bin/helm)"
[ -x "$real_helm" ] || cannot "no helm in .slipway/tools/bin for the kube double's helm template (run ./build.sh --target Provision)"
dotnet_path="$(readlink -f "$(command -v dotnet)")"

# The repository as GitHub holds it: the commit under test on main.
git clone --quiet --bare --no-local "$root" "$emu/origin.git"
origin_git() { git -c safe.directory='*' -C "$emu/origin.git" "$@"; }
origin_git update-ref refs/heads/main "$(git rev-parse HEAD)"
# The NuGet folder that setup-dotnet's cache shares between jobs, seeded with what the tests restored.
mkdir -p "$emu/nuget"
if [ -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}" ]; then cp -a "${NUGET_PACKAGES:-$HOME/.nuget/packages}/." "$emu/nuget/"; fi
mkdir -p "$emu/work" "$emu/artifacts" "$emu/logs" "$emu/jobs" "$emu/cosign-signatures" "$emu/host-cache"
chown -R "$user:$user" "$emu/home" "$emu/toolcache" "$emu/kube-double" "$emu/origin.git" "$emu/nuget" "$emu/work" "$emu/artifacts" "$emu/logs" "$emu/cosign-signatures" "$emu/host-cache"

# ---------------------------------------------------------------- the table of vars, secrets and the run's context
table=(
  "vars.REGISTRY_ADDRESS=$registry"
  "vars.STAGING_DOCKER_HOST=unix:///var/run/docker.sock"
  "vars.TF_STATE_BUCKET=slipway-tfstate" "vars.TF_STATE_REGION=eu-west-1"
  "secrets.STAGING_POSTGRES_PASSWORD=emulated-staging-postgres-7c1e"
  # The local registry asks for no login; staging's registry section requires both secrets set.
  "secrets.REGISTRY_USERNAME=emulated-runner" "secrets.REGISTRY_PASSWORD=emulated-registry-password-2b9d"
  # release.yml's deploy-prod: the kube double's context (a name without "double" it refuses), prod's secrets.
  "vars.KUBE_CONTEXT=kube-double"
  "secrets.KUBECONFIG_DATA=apiVersion: v1
kind: Config
current-context: kube-double
contexts: [{name: kube-double, context: {cluster: kube-double, user: emulated-runner}}]
clusters: [{name: kube-double, cluster: {server: 'https://kube-double.invalid'}}]
users: [{name: emulated-runner, user: {token: emulated-kube-token-5e1a}}]"
  "secrets.PROD_POSTGRES_CONNECTION=Host=postgres.prod.invalid;Database=orders;Username=slipway;Password=Emulated-Prod-Db-7b2f9c41e8d3a6"
  "secrets.PROD_REDIS_CONNECTION=redis.prod.invalid:6380,password=Emulated-Prod-Redis-3c8e1f6a92d4,ssl=true"
)
# prod's TLS pair: a self-signed certificate made for this run.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=slipway.prod.invalid" \
  -keyout "$emu/prod-tls.key" -out "$emu/prod-tls.crt" >"$emu/openssl.log" 2>&1 || { cat "$emu/openssl.log" >&2; cannot "openssl could not make prod's test certificate"; }
table+=("secrets.PROD_TLS_CERTIFICATE=$(cat "$emu/prod-tls.crt")" "secrets.PROD_TLS_KEY=$(cat "$emu/prod-tls.key")")
run_id=1000
# The machine's TLS trust settings (a proxy's authority for the npm and NuGet registries), as a runner image has its own.
trust=()
for name in SSL_CERT_FILE SSL_CERT_DIR NODE_EXTRA_CA_CERTS; do
  if [ -n "${!name:-}" ]; then trust+=("$name=${!name}"); fi
done
identity="https://github.com/$repository/.github/workflows/ci.yml@refs/heads/main"
issuer=https://token.actions.githubusercontent.com

# The host cache key: the tree of every input build.sh hashes (build/, pipelines/, src/, the props, global.json).
host_key() {
  origin_git rev-parse "$1:build" "$1:pipelines" "$1:src" "$1:Directory.Build.props" "$1:Directory.Packages.props" "$1:global.json" | sha256sum | cut -c1-16
}

# run_job LABEL WORKFLOW JOB SHA RUN-ID [name=value ...]: the job as the runner user, in a fresh clone; log in $emu/logs.
run_job() {
  local label="$1" workflow="$2" job="$3" sha="$4" run="$5" key
  shift 5
  if [ "$workflow" != - ]; then
    dotnet "$emu/reader/WorkflowJobs.dll" ".github/workflows/$workflow" "$job" "${table[@]}" "$@" >"$emu/jobs/$label.sh" ||
      fail "$workflow job $job could not be read"
  fi
  chmod 644 "$emu/jobs/$label.sh"
  key="$(host_key "$sha")"
  mkdir -p "$emu/runner-temp-$label" && chown "$user:$user" "$emu/runner-temp-$label"
  as_runner env -i \
    "${trust[@]}" HOME="$emu/home" USER="$user" PATH="${EMULATION_PATH_PREFIX:+$EMULATION_PATH_PREFIX:}$emu/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 \
    CI=true GITHUB_ACTIONS=true GITHUB_REPOSITORY="$repository" GITHUB_REPOSITORY_OWNER="${repository%%/*}" \
    GITHUB_SERVER_URL=https://github.com GITHUB_API_URL=https://api.github.com GITHUB_RUN_ID="$run" GITHUB_RUN_NUMBER="$run" \
    GITHUB_RUN_ATTEMPT=1 GITHUB_SHA="$sha" GITHUB_REF="${EMULATION_REF:-refs/heads/main}" GITHUB_REF_NAME="${EMULATION_REF_NAME:-main}" \
    GITHUB_REF_TYPE="${EMULATION_REF_TYPE:-branch}" GITHUB_HEAD_REF="${EMULATION_HEAD_REF:-}" GITHUB_BASE_REF="${EMULATION_BASE_REF:-}" \
    GITHUB_EVENT_NAME="${EMULATION_EVENT:-push}" GITHUB_WORKFLOW="${workflow%.yml}" GITHUB_JOB="$job" GITHUB_ACTOR=emulated-runner \
    GITHUB_WORKFLOW_REF="$repository/.github/workflows/$workflow@${EMULATION_REF:-refs/heads/main}" \
    GITHUB_WORKSPACE="$emu/work/$label" RUNNER_TEMP="$emu/runner-temp-$label" RUNNER_TOOL_CACHE="$emu/toolcache" \
    RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_NAME="emulated-$label" NUGET_PACKAGES="$emu/nuget" DOTNET_CLI_HOME="$emu/home" \
    DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 NO_COLOR=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER=1 \
    EMULATION_ORIGIN="$emu/origin.git" EMULATION_ARTIFACTS="$emu/artifacts/$run" EMULATION_HOST_CACHE="$emu/host-cache/$key" \
    EMULATION_DOTNET_DIR="$(dirname "$dotnet_path")" EMULATION_DOTNET_ROOT="$(dirname "$dotnet_path")" \
    KUBE_DOUBLE_STATE="$emu/kube-double/cluster" KUBE_DOUBLE_REAL_HELM="$real_helm" \
    COSIGN_DOUBLE_STATE="$emu/cosign-signatures" SLIPWAY_COSIGN_DOUBLE_IDENTITY="https://github.com/$repository/.github/workflows/$workflow@${EMULATION_REF:-refs/heads/main}" SLIPWAY_COSIGN_DOUBLE_ISSUER="$issuer" \
    bash "$root/.ci/runner-job.sh" "$emu/jobs/$label.sh" >"$emu/logs/$label.log" 2>&1
}

# Runs a job and fails the emulation, with the end of its log, when it fails; saves the compiled host for the clones after it.
job() {
  local label="$1" started=$SECONDS
  say "job $label: $3 of $2 in a fresh clone as $user"
  if ! run_job "$@"; then
    tail -n 60 "$emu/logs/$label.log" >&2
    fail "job $label ($2, $3) failed: the end of its log is above"
  fi
  save_host "$label" "$4"
  say "job $label: green ($((SECONDS - started))s)"
}

# The emulated actions/cache save of .slipway/host (see README, "The GitHub-hosted-runner emulation").
save_host() {
  local key
  key="$(host_key "$2")"
  if [ ! -d "$emu/host-cache/$key" ] && [ -f "$emu/work/$1/.slipway/host/inputs.sha256" ]; then
    as_runner cp -a "$emu/work/$1/.slipway/host" "$emu/host-cache/$key"
  fi
}

release_field() { jq -r "$2" "$emu/artifacts/$1/staging-release/release.json"; }
project_digests() { # the images the running containers of Compose project $1 were created from, sorted
  local id
  for id in $(docker ps -q --filter "label=com.docker.compose.project=$1"); do
    docker inspect --format '{{.Config.Image}}' "$id"
  done | grep '@sha256:' | sort -u
}
staging_digests() { project_digests slipway-staging; }
release_images() { jq -r '.images[] | "\(.repository)@\(.digest)"' "$emu/artifacts/$1/staging-release/release.json" | sort -u; }
export DOCKER_HOST="unix://$engine_socket"

say "ci.yml job 'test' skipped: it is .ci/run's own test command (./build.sh --target Test --provision), which ran before"

# Phases to run (EMULATION_PHASES, space-separated; all by default): pr, push (push, History, rollback), tag.
phases=" ${EMULATION_PHASES:-pr push tag} "
sha1="$(origin_git rev-parse refs/heads/main)"

# ---------------------------------------------------------------- a pull request into main
# ci.yml's pull-request jobs on the merge commit GitHub makes (refs/pull/7/merge, checked out detached): Build Sbom
# Scan per service (the matrix), then E2ESmoke and DeployDev, which deploys dev to the runner's own engine.
if [[ "$phases" == *" pr "* ]]; then
pr_sha="$(origin_git -c user.name=Emulation -c user.email=emulation@slipway.invalid commit-tree "$sha1^{tree}" -p "$sha1" -m "emulated merge of pull request 7 into main")"
origin_git update-ref refs/pull/7/merge "$pr_sha"
run0=$run_id
pull_request() {
  EMULATION_EVENT=pull_request EMULATION_REF=refs/pull/7/merge EMULATION_REF_NAME=7/merge EMULATION_HEAD_REF=emulated-feature \
    EMULATION_BASE_REF=main job "$@"
}
pull_request pr-build-api ci.yml build "$pr_sha" "$run0" matrix.service=api
pull_request pr-build-worker ci.yml build "$pr_sha" "$run0" matrix.service=worker
pull_request pr-e2e-smoke ci.yml e2e-smoke "$pr_sha" "$run0"
pull_request pr-deploy-dev ci.yml deploy-dev "$pr_sha" "$run0"
dev_release="$emu/work/pr-deploy-dev/artifacts/release.json"
[ -f "$dev_release" ] || fail "DeployDev left no artifacts/release.json in its workspace"
[ "$(project_digests slipway-dev)" = "$(jq -r '.images[] | "\(.repository)@\(.digest)"' "$dev_release" | sort -u)" ] ||
  fail "dev does not run the pull request's release: running $(project_digests slipway-dev | tr '\n' ' ')"
grep -qE 'E2ESmoke +│ Succeeded' "$emu/logs/pr-e2e-smoke.log" || fail "the e2e-smoke job's summary has no succeeded E2ESmoke"
grep -qF ':0.0.0-pr-7.' "$emu/logs/pr-build-api.log" || fail "the pull request's images are not versioned by its number (0.0.0-pr-7.…)"
fi

# ---------------------------------------------------------------- push 1: main at the commit under test
if [[ "$phases" == *" push "* ]]; then
run1=$((run_id + 1))
job publish-1 ci.yml staging-publish "$sha1" "$run1"
job sign-1 ci.yml staging-sign "$sha1" "$run1"
job deploy-1 ci.yml deploy-staging "$sha1" "$run1"
[ "$(staging_digests)" = "$(release_images "$run1")" ] ||
  fail "staging does not run push 1's release.json: running $(staging_digests | tr '\n' ' '), release $(release_images "$run1" | tr '\n' ' ')"

# ---------------------------------------------------------------- push 2: a second commit on main
origin_git update-ref refs/heads/main "$(origin_git -c user.name=Emulation -c user.email=emulation@slipway.invalid commit-tree "$sha1^{tree}" -p "$sha1" -m "emulated second push to main")"
sha2="$(origin_git rev-parse refs/heads/main)"
run2=$((run_id + 2))
job publish-2 ci.yml staging-publish "$sha2" "$run2"
job sign-2 ci.yml staging-sign "$sha2" "$run2"
version1="$(release_field "$run1" .version)" version2="$(release_field "$run2" .version)"
[ "$version1" != "$version2" ] || fail "the two pushes published the same version $version1"

# Two runners deploy push 2 at once (a re-run beside the run, as concurrency groups do not span workflows).
say "jobs deploy-2a and deploy-2b: deploy-staging of push 2 on two runners at once"
run_job deploy-2a ci.yml deploy-staging "$sha2" "$run2" &
pid_a=$!
sleep 2
run_job deploy-2b ci.yml deploy-staging "$sha2" "$run2" &
pid_b=$!
status_a=0 status_b=0
wait "$pid_a" || status_a=$?
wait "$pid_b" || status_b=$?
for label in deploy-2a deploy-2b; do
  if [ "$label" = deploy-2a ] && [ $status_a -ne 0 ] || [ "$label" = deploy-2b ] && [ $status_b -ne 0 ]; then
    tail -n 60 "$emu/logs/$label.log" >&2
    fail "job $label failed: the end of its log is above"
  fi
done
say "jobs deploy-2a and deploy-2b: green"
# DeliveryRun's message when --lock-wait queues a deploy behind a live holder.
waited='staging is locked by another deploy: waiting up to'
grep -hF "$waited" "$emu/logs/deploy-2a.log" "$emu/logs/deploy-2b.log" | head -n 2 | sed 's/^/  /'
[ "$(grep -lF "$waited" "$emu/logs/deploy-2a.log" "$emu/logs/deploy-2b.log" | wc -l)" -eq 1 ] ||
  fail "exactly one of the concurrent deploys must wait on the staging lock for the other (logs: '$waited')"
[ "$(staging_digests)" = "$(release_images "$run2")" ] ||
  fail "staging does not run push 2's release.json after the concurrent deploys"

# ---------------------------------------------------------------- a third runner reads History
# Not a workflow job: the command a user runs on any runner, with the deploy job's variables (where staging is).
run3=$((run_id + 3))
{
  grep '^job_env ' "$emu/jobs/deploy-1.sh"
  printf 'step_uses %q %q\nstep_uses %q %q\nstep_run %q %q\n' "Check out" actions/checkout "Set up .NET" actions/setup-dotnet \
    History "./build.sh --target History --env staging"
} >"$emu/jobs/history.sh"
job history - history "$sha2" "$run3"
for version in "$version1" "$version2"; do
  grep -qF "$version" "$emu/logs/history.log" || fail "History on a third runner does not show $version, deployed by another runner"
done
deploys="$(grep -cF "$version2" "$emu/logs/history.log" || true)"
[ "$deploys" -ge 2 ] || fail "History shows $version2 $deploys time(s): both concurrent deploys must be recorded"
sed -n '/::group::run: History/,/::endgroup::/p' "$emu/logs/history.log" | grep -v '^::' | head -n 12 | sed 's/^/  /'

# ---------------------------------------------------------------- rollback.yml from a fourth runner
run4=$((run_id + 4))
EMULATION_EVENT=workflow_dispatch job rollback rollback.yml rollback "$sha2" "$run4" inputs.environment=staging inputs.version=
[ "$(staging_digests)" = "$(release_images "$run1")" ] ||
  fail "after rollback.yml, staging runs $(staging_digests | tr '\n' ' '), not push 1's release $(release_images "$run1" | tr '\n' ' ')"

# ---------------------------------------------------------------- published once, signed
for run in "$run1" "$run2"; do
  for image in $(release_images "$run"); do
    repo="${image%@*}" digest="${image#*@}"
    curl -fsS -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' \
      "http://$registry/v2/${repo#"$registry"/}/manifests/$digest" || fail "the registry does not hold $image (release.json of run $run)"
    as_runner env COSIGN_DOUBLE_STATE="$emu/cosign-signatures" "$emu/toolcache/cosign/cosign" verify \
      --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" "$image" >/dev/null 2>"$emu/verify.log" ||
      { cat "$emu/verify.log" >&2; fail "$image is not signed for $identity"; }
  done
done
for label in sign-1 deploy-1 sign-2 deploy-2a deploy-2b history rollback; do
  if grep -qE '(^|[ /])docker (image )?push ' "$emu/logs/$label.log"; then fail "job $label pushed an image again: only Publish pushes"; fi
done

say "push phase green: published once and signed (both pushes), staging deployed by digest, History shared by every runner, the concurrent deploys serialised on the lock, rollback.yml returned staging to $version1"
fi

# ---------------------------------------------------------------- a release tag
# release.yml's publish, sign and deploy-prod jobs on a tag v1.0.N (checked out detached): the tag's version, the prod
# registry prefix, signed keylessly for release.yml's identity at that tag, then deploy-prod on the kube double.
if [[ "$phases" == *" tag "* ]]; then
# A version of its own per run: a registry kept between runs (a developer's) refuses to overwrite a published one.
tag_version="1.0.$(date +%s)"
origin_git tag "v$tag_version" "$sha1"
run5=$((run_id + 5))
tagged() { EMULATION_REF="refs/tags/v$tag_version" EMULATION_REF_NAME="v$tag_version" EMULATION_REF_TYPE=tag job "$@"; }
tagged tag-publish release.yml publish "$sha1" "$run5"
tagged tag-sign release.yml sign "$sha1" "$run5"
tag_release="$emu/artifacts/$run5/prod-release/release.json"
[ "$(jq -r .version "$tag_release")" = "$tag_version" ] || fail "release.yml on v$tag_version released $(jq -r .version "$tag_release"), not $tag_version"
for image in $(jq -r '.images[] | "\(.repository)@\(.digest)"' "$tag_release"); do
  case "$image" in "$registry/slipway-dev/slipway/"*) ;; *) fail "$image is not under prod's repository prefix $registry/slipway-dev/slipway" ;; esac
  as_runner env COSIGN_DOUBLE_STATE="$emu/cosign-signatures" "$emu/toolcache/cosign/cosign" verify \
    --certificate-identity "https://github.com/$repository/.github/workflows/release.yml@refs/tags/v$tag_version" --certificate-oidc-issuer "$issuer" "$image" >/dev/null 2>"$emu/verify.log" ||
    { cat "$emu/verify.log" >&2; fail "$image is not signed for release.yml at refs/tags/v$tag_version"; }
done
if grep -qE '(^|[ /])docker (image )?push ' "$emu/logs/tag-sign.log"; then fail "release.yml's sign job pushed an image: only publish pushes"; fi

# release.yml's deploy-prod, on the kube double (above). What it must do depends on prod's maintenance window
# (environments/prod.yml: Sunday 02:00 UTC for 2 h), because the tag is prod's first release and may bring migrations.
# Outside it (166 of the week's 168 hours), after the kubeconfig, the download of release.json, provisioning, the ref
# check and Verify of release.yml's signatures, it must refuse before the lock, name the window and change nothing.
# Inside it, it deploys through Helm and then probes prod's public URL (https://slipway.example), which nothing
# answers here, since the kube double runs no pods: the job must get that far, and fail there with the failure in
# the ledger (checked once under libfaketime at Sunday 02:30 UTC, 2026-12-04).
kube_path="$emu/kube-double/bin"
log="$emu/logs/tag-deploy-prod.log"
# The job as `tagged` runs it, with the kube double first on PATH; its exit status is the caller's to judge.
run_deploy_prod() {
  EMULATION_PATH_PREFIX="$kube_path" EMULATION_REF="refs/tags/v$tag_version" EMULATION_REF_NAME="v$tag_version" EMULATION_REF_TYPE=tag \
    run_job tag-deploy-prod release.yml deploy-prod "$sha1" "$run5"
}
expect_in_log() {
  local expected
  for expected in "$@"; do
    grep -qF -- "$expected" "$log" || { tail -n 60 "$log" >&2; fail "deploy-prod's log lacks '$expected'"; }
  done
}
if [ "$(date -u +%u)" = 7 ] && [ "$(date -u +%H)" -ge 2 ] && [ "$(date -u +%H)" -lt 4 ]; then
  say "job tag-deploy-prod: deploy-prod of release.yml in a fresh clone as $user, inside prod's maintenance window: deploys, then fails its probes"
  if run_deploy_prod; then
    fail "deploy-prod succeeded although no server answers prod's URL here: what did its probes reach?"
  fi
  expect_in_log "Verify succeeded" "Deploying $tag_version to prod (Helm release slipway in namespace slipway, context kube-double)" \
    "STATUS: deployed" 'deployment "slipway-api" successfully rolled out' "Deploy of $tag_version failed (the SLO probes)" '\u0022action\u0022:\u0022Failed\u0022'
  say "deploy-prod inside prod's maintenance window: $tag_version deployed to the kube double's cluster, then its probes of prod's URL failed as they must here"
else
  say "job tag-deploy-prod: deploy-prod of release.yml in a fresh clone as $user, outside prod's maintenance window: must be refused"
  if run_deploy_prod; then
    tail -n 40 "$log" >&2; fail "deploy-prod succeeded outside prod's maintenance window"
  fi
  expect_in_log "Verify succeeded" "maintenance window (environments/prod.yml data.maintenance_window: Sunday 02:00 UTC for 2h) is closed" "Nothing was changed"
  grep -qE 'helm[^ ]* (upgrade|install)|kubectl[^ ]* apply' "$log" && fail "deploy-prod ran helm upgrade or kubectl apply although the window refused it"
  # The double's own bookkeeping (calls.log, its state lock) aside, nothing may be in its cluster or its releases.
  calls="$emu/kube-double/cluster/calls.log"
  say "the kube double saw: $( [ -f "$calls" ] && tr '\n' ';' <"$calls" || echo nothing)"
  if [ -e "$emu/kube-double/cluster/releases" ] || [ -e "$emu/kube-double/cluster/cluster" ] ||
    { [ -f "$calls" ] && grep -qE '(upgrade|install|rollback|uninstall|apply|create|replace|patch|delete)( |$)' "$calls"; }; then
    fail "deploy-prod changed the kube double's cluster although the window refused it: $(ls -R "$emu/kube-double/cluster" | head -n 20 | tr '\n' ' ')"
  fi
  say "deploy-prod refused outside prod's maintenance window, after Verify passed, with nothing applied to the cluster"
fi
say "tag phase green: release.yml published $tag_version under prod's prefix, signed it for release.yml@refs/tags/v$tag_version, and ran deploy-prod"
fi
say "green: phases$phases"
