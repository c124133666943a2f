#!/usr/bin/env bash
# One job on an emulated GitHub-hosted runner (run by .ci/runner-emulation.sh as the runner's non-root user, in a clean
# environment that holds the GITHUB_* and RUNNER_* variables). Sources the job script .ci/WorkflowJobs printed from the
# committed workflow: job_env, then step_uses / step_run in the workflow's order.
# Usage: runner-job.sh JOB-SCRIPT
set -euo pipefail

job_env() { export "$1=$2"; }

# What GitHub does around a run: step: fresh $GITHUB_OUTPUT, $GITHUB_ENV and $GITHUB_STEP_SUMMARY files, the step's
# env, `bash --noprofile --norc -eo pipefail` in the workspace, then what the step appended to $GITHUB_ENV is exported
# for the steps after it (NAME=VALUE lines and NAME<<DELIMITER blocks).
step_number=0
step_run() {
  local name="$1" script="$2" files
  shift 2
  step_number=$((step_number + 1))
  files="$RUNNER_TEMP/_runner_file_commands/step-$step_number"
  mkdir -p "$files"
  : >"$files/output" && : >"$files/env" && : >"$files/summary"
  echo "::group::run: $name"
  (
    cd "$GITHUB_WORKSPACE"
    export GITHUB_OUTPUT="$files/output" GITHUB_ENV="$files/env" GITHUB_STEP_SUMMARY="$files/summary"
    for assignment in "$@"; do export "${assignment?}"; done
    exec bash --noprofile --norc -eo pipefail -c "$script"
  ) || { echo "::error::step '$name' failed (exit $?)"; exit 1; }
  echo "::endgroup::"
  local line key delimiter value
  while IFS= read -r line; do
    if [[ "$line" == *'<<'* ]]; then
      key="${line%%<<*}" delimiter="${line#*<<}" value=""
      while IFS= read -r line && [ "$line" != "$delimiter" ]; do value+="${value:+$'\n'}$line"; done
      export "$key=$value"
    elif [[ "$line" == *=* ]]; then
      export "${line%%=*}=${line#*=}"
    fi
  done <"$files/env"
  if [ -s "$files/summary" ]; then cp "$files/summary" "$RUNNER_TEMP/summary-step-$step_number.md"; fi
}

# The actions the workflows use, as a hosted runner gives them.
step_uses() {
  local name="$1" action="$2" input path="" artifact=""
  shift 2
  for input in "$@"; do
    case "$input" in
      path=*) path="${input#path=}" ;;
      name=*) artifact="${input#name=}" ;;
    esac
  done
  echo "uses: $action ($name)"
  case "$action" in
    actions/checkout)
      # A fresh clone of the repository at the pushed commit (fetch-depth 0: the whole history).
      git clone --quiet "$EMULATION_ORIGIN" "$GITHUB_WORKSPACE"
      # A tag and a pull request's merge commit are checked out detached, as actions/checkout does; a push checks out its branch.
      if [ "${GITHUB_REF_TYPE:-}" = tag ]; then
        git -C "$GITHUB_WORKSPACE" checkout --quiet --detach "$GITHUB_SHA"
      elif [ "${GITHUB_EVENT_NAME:-}" = pull_request ]; then
        git -C "$GITHUB_WORKSPACE" fetch --quiet origin "+$GITHUB_REF:refs/remotes/pull/${GITHUB_REF#refs/pull/}"
        git -C "$GITHUB_WORKSPACE" checkout --quiet --detach "$GITHUB_SHA"
      else
        git -C "$GITHUB_WORKSPACE" checkout --quiet -B "${GITHUB_REF_NAME:-main}" "$GITHUB_SHA"
      fi
      if [ -n "${EMULATION_HOST_CACHE:-}" ] && [ -d "$EMULATION_HOST_CACHE" ]; then
        mkdir -p "$GITHUB_WORKSPACE/.slipway"
        cp -a "$EMULATION_HOST_CACHE" "$GITHUB_WORKSPACE/.slipway/host"
        echo "  restored .slipway/host from the emulation's host cache (key ${EMULATION_HOST_CACHE##*/})"
      fi
      ;;
    actions/setup-dotnet) export PATH="$EMULATION_DOTNET_DIR:$PATH" DOTNET_ROOT="$EMULATION_DOTNET_ROOT" ;;
    sigstore/cosign-installer) export PATH="$RUNNER_TOOL_CACHE/cosign:$PATH" ;;
    actions/upload-artifact)
      # upload-artifact roots one file at its folder and a directory at itself: the artifact holds the file, or the
      # directory's contents.
      mkdir -p "$EMULATION_ARTIFACTS/$artifact"
      if [ -f "$GITHUB_WORKSPACE/$path" ]; then
        cp "$GITHUB_WORKSPACE/$path" "$EMULATION_ARTIFACTS/$artifact/"
      elif [ -d "$GITHUB_WORKSPACE/$path" ] && [ -n "$(ls -A "$GITHUB_WORKSPACE/$path")" ]; then
        cp -a "$GITHUB_WORKSPACE/$path/." "$EMULATION_ARTIFACTS/$artifact/"
      else
        echo "::error::upload-artifact: nothing at $path (if-no-files-found: error)"; exit 1
      fi
      ;;
    actions/download-artifact)
      [ -d "$EMULATION_ARTIFACTS/$artifact" ] || { echo "::error::download-artifact: no artifact '$artifact' in this run"; exit 1; }
      mkdir -p "$GITHUB_WORKSPACE/$path"
      cp -a "$EMULATION_ARTIFACTS/$artifact/." "$GITHUB_WORKSPACE/$path/"
      ;;
    *) echo "::error::the emulation does not know the action $action"; exit 1 ;;
  esac
}

# shellcheck source=/dev/null
. "$1"
