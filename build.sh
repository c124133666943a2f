#!/usr/bin/env bash
# Slipway bootstrap: rebuild the pipeline host only when its inputs changed, then run it.
#
# Fast path (no input newer than the stamp): run the compiled host at once, no MSBuild.
# Slow path: hash the inputs (sources, project files, package versions, SDK version); rebuild only
# when the hash differs from the one recorded at the last successful build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
host_dir="$root/.slipway/host"
stamp="$host_dir/inputs.sha256"
dll="$host_dir/bin/Slipway.Build.dll"

if ! command -v dotnet >/dev/null 2>&1; then
  cat >&2 <<'MSG'
error: the .NET SDK was not found (no 'dotnet' on PATH).
Slipway's pipeline host needs the .NET 10 SDK. Install it (Debian/Ubuntu: 'apt-get install dotnet-sdk-10.0'
from Microsoft's package feed, or the dotnet-install script), make sure 'dotnet --version' prints 10.x,
then run ./build.sh again.
MSG
  exit 2
fi

# Every file whose change must rebuild the host. bin/ and obj/ are outputs, never inputs.
input_files() {
  cd "$root"
  find build pipelines src \( -name bin -o -name obj \) -prune -o -type f \
    \( -name '*.cs' -o -name '*.csproj' -o -name 'packages.lock.json' -o -name '*.props' -o -name '*.targets' \) -print
  for f in Directory.Build.props Directory.Packages.props global.json .editorconfig; do
    [ -f "$f" ] && echo "$f"
  done
}

changed_since_stamp() {
  [ -f "$stamp" ] && [ -f "$dll" ] || return 0
  # Directories too: adding or deleting a file changes its directory's mtime.
  [ -n "$(cd "$root" && find build pipelines src \( -name bin -o -name obj \) -prune -o -newer "$stamp" -print -quit)" ] && return 0
  for f in Directory.Build.props Directory.Packages.props global.json .editorconfig; do
    [ -f "$root/$f" ] && [ "$root/$f" -nt "$stamp" ] && return 0
  done
  return 1
}

inputs_hash() {
  {
    dotnet --version
    input_files | LC_ALL=C sort | while IFS= read -r f; do
      printf '%s %s\n' "$f" "$(sha256sum < "$root/$f" | cut -d' ' -f1)"
    done
  } | sha256sum | cut -d' ' -f1
}

if changed_since_stamp; then
  mkdir -p "$host_dir"
  # One build at a time when several ./build.sh start together.
  exec 9>"$host_dir/.lock"
  flock 9 2>/dev/null || true
  hash="$(inputs_hash)"
  if [ ! -f "$dll" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
    echo "Building the pipeline host (its sources changed)..." >&2
    # ReadyToRun halves start-up (see bench/RESULTS.md). Its restore writes its lock files under obj/,
    # so the committed packages.lock.json files (restored in locked mode by CI) are never touched.
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) rid=linux-x64 ;;
      Linux-aarch64 | Linux-arm64) rid=linux-arm64 ;;
      Darwin-x86_64) rid=osx-x64 ;;
      Darwin-arm64) rid=osx-arm64 ;;
      *) rid="" ;;
    esac
    [ -n "$rid" ] && [ -f /etc/alpine-release ] && rid="linux-musl-${rid#linux-}"
    built=""
    if [ -n "$rid" ] && dotnet publish "$root/build/Slipway.Build.csproj" --configuration Release --runtime "$rid" \
        --self-contained false -p:PublishReadyToRun=true -p:NuGetLockFilePath=obj/host.packages.lock.json -p:RestoreLockedMode=false \
        --output "$host_dir/bin" --nologo --verbosity quiet --disable-build-servers >"$host_dir/build.log" 2>&1; then
      built=yes
    elif dotnet build "$root/build/Slipway.Build.csproj" --configuration Release --output "$host_dir/bin" \
        --nologo --verbosity quiet --disable-build-servers >>"$host_dir/build.log" 2>&1; then
      built=yes
    fi
    if [ -z "$built" ]; then
      cat "$host_dir/build.log" >&2
      echo "error: the pipeline host failed to build (log: .slipway/host/build.log). Fix the errors above and run ./build.sh again." >&2
      exit 2
    fi
  fi
  echo "$hash" > "$stamp"
  exec 9>&-
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_TieredPGO=1 DOTNET_TC_QuickJitForLoops=1
cd "$root"
exec dotnet "$dll" "$@"
