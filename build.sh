#!/usr/bin/env bash
# Slipway bootstrap: rebuild the pipeline host only when its inputs changed, then run it.
#
# The host is the one project in build/ (build/*.csproj). Works in any repository: only the files that exist
# are watched, and every failure says what it was doing and what to do.
#
# Fast path (no input newer than the stamp): run the compiled host at once, no MSBuild.
# Slow path: hash the inputs (sources, project files, package versions, SDK version); rebuild only
# when the hash differs from the one recorded at the last successful build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
host_dir="$root/.slipway/host"
stamp="$host_dir/inputs.sha256"
name_file="$host_dir/assembly-name"

fail() { # fail CODE WHAT-HAPPENED WHAT-TO-DO
  printf 'error: %s\n%s\n' "$2" "$3" >&2
  exit "$1"
}

if ! command -v dotnet >/dev/null 2>&1; then
  fail 2 "the .NET SDK was not found (no 'dotnet' on PATH): Slipway's pipeline host needs the .NET 10 SDK." \
    "Install it (Debian/Ubuntu: 'apt-get install dotnet-sdk-10.0' from Microsoft's package feed, or the dotnet-install script), make sure 'dotnet --version' prints 10.x, then run ./build.sh again."
fi

# Directories and files whose change must rebuild the host; only those that exist. bin/ and obj/ are outputs.
watched_dirs=()
for d in build pipelines; do
  if [ -d "$root/$d" ]; then watched_dirs+=("$d"); fi
done
# src/ only when the host builds from it (a ProjectReference to ../src/, as in Slipway's own repository); in a
# repository scaffolded by `dotnet new slipway` it holds the application, and a change there must not rebuild the host.
if [ -d "$root/src" ] && grep -qs 'Include="\.\./src/' "$root"/build/*.csproj; then watched_dirs+=(src); fi
watched_files=()
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props global.json .editorconfig nuget.config NuGet.Config; do
  if [ -f "$root/$f" ]; then watched_files+=("$f"); fi
done

input_files() {
  (cd "$root" && find "${watched_dirs[@]}" \( -name bin -o -name obj \) -prune -o -type f \
    \( -name '*.cs' -o -name '*.csproj' -o -name 'packages.lock.json' -o -name '*.props' -o -name '*.targets' -o -name 'PublicAPI.*.txt' \) -print)
  if [ "${#watched_files[@]}" -gt 0 ]; then printf '%s\n' "${watched_files[@]}"; fi
}

changed_since_stamp() {
  if [ ! -f "$stamp" ] || [ ! -f "$name_file" ] || [ ! -f "$host_dir/bin/$(cat "$name_file").dll" ]; then return 0; fi
  # Directories too: adding or deleting a file changes its directory's mtime.
  if [ -n "$(cd "$root" && find "${watched_dirs[@]}" \( -name bin -o -name obj \) -prune -o -newer "$stamp" -print -quit)" ]; then return 0; fi
  for f in "${watched_files[@]+"${watched_files[@]}"}"; do
    if [ "$root/$f" -nt "$stamp" ]; then return 0; fi
  done
  return 1
}

inputs_hash() {
  # One sha256sum for every file ("HASH  PATH" lines, in sorted order): a process per file took 5 s for 300 files.
  {
    dotnet --version
    input_files | LC_ALL=C sort | tr '\n' '\0' | (cd "$root" && xargs -0 sha256sum --)
  } | sha256sum | cut -d' ' -f1
}

if [ ! -d "$root/build" ]; then
  fail 2 "no build/ directory in $root: ./build.sh runs the pipeline host in build/ (a console project referencing the Slipway packages)." \
    "Scaffold one with 'dotnet new slipway', or create build/<Name>.csproj with a one-line Program.cs: return await Slipway.Cli.SlipwayHost.RunAsync<Pipeline>(args);"
fi
projects=("$root"/build/*.csproj)
if [ ! -f "${projects[0]}" ]; then
  fail 2 "no project in build/: ./build.sh builds the one build/*.csproj, the pipeline host." \
    "Add build/<Name>.csproj (a console project referencing the Slipway packages), or run 'dotnet new slipway'."
fi
if [ "${#projects[@]}" -gt 1 ]; then
  fail 2 "several projects in build/ (${projects[*]##*/}): ./build.sh needs exactly one pipeline host there." \
    "Keep one build/*.csproj and move the others elsewhere."
fi
project="${projects[0]}"

if changed_since_stamp; then
  mkdir -p "$host_dir" || fail 2 "cannot create $host_dir, where the compiled host is kept." "Check that $root is writable."
  # One build at a time when several ./build.sh start together.
  exec 9>"$host_dir/.lock"
  flock 9 2>/dev/null || true
  hash="$(inputs_hash)" || fail 2 "could not hash the pipeline host's inputs (${watched_dirs[*]} ${watched_files[*]-})." \
    "Check that the files are readable, then run ./build.sh again."
  # Inputs touched but not changed (a checkout, a restore that made obj/ folders): the host built from them stands.
  name=""
  if [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ] && [ -f "$name_file" ] && [ -f "$host_dir/bin/$(cat "$name_file").dll" ]; then
    name="$(cat "$name_file")"
  else
    # The host's assembly, as its project names it (AssemblyName, else the project's file name).
    name="$(dotnet msbuild "$project" -getProperty:AssemblyName -p:RestoreLockedMode=false 2>/dev/null | tail -n 1 | tr -d '[:space:]')" || name=""
    if [ -z "$name" ]; then name="$(basename "$project" .csproj)"; fi
  fi
  if [ ! -f "$host_dir/bin/$name.dll" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
    echo "Building the pipeline host ${project#"$root"/} (its sources changed)..." >&2
    # ReadyToRun halves start-up (see bench/RESULTS.md). Its restore writes its lock files under obj/,
    # so the committed packages.lock.json files (restored in locked mode by CI) are never touched.
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) rid=linux-x64 ;;
      Linux-aarch64 | Linux-arm64) rid=linux-arm64 ;;
      Darwin-x86_64) rid=osx-x64 ;;
      Darwin-arm64) rid=osx-arm64 ;;
      *) rid="" ;;
    esac
    if [ -n "$rid" ] && [ -f /etc/alpine-release ]; then rid="linux-musl-${rid#linux-}"; fi
    built=""
    if [ -n "$rid" ] && dotnet publish "$project" --configuration Release --runtime "$rid" \
        --self-contained false -p:PublishReadyToRun=true -p:NuGetLockFilePath=obj/host.packages.lock.json -p:RestoreLockedMode=false \
        --output "$host_dir/bin" --nologo --verbosity quiet --disable-build-servers >"$host_dir/build.log" 2>&1; then
      built=yes
    elif dotnet build "$project" --configuration Release --output "$host_dir/bin" \
        --nologo --verbosity quiet --disable-build-servers >>"$host_dir/build.log" 2>&1; then
      built=yes
    fi
    if [ -z "$built" ]; then
      cat "$host_dir/build.log" >&2
      fail 2 "the pipeline host ${project#"$root"/} failed to build (log: .slipway/host/build.log)." \
        "Fix the errors above (a missing package source? see nuget.config) and run ./build.sh again."
    fi
  fi
  echo "$name" > "$name_file"
  echo "$hash" > "$stamp"
  exec 9>&-
fi

dll="$host_dir/bin/$(cat "$name_file").dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_TieredPGO=1 DOTNET_TC_QuickJitForLoops=1
cd "$root"
exec dotnet "$dll" "$@"
