#!/usr/bin/env bash
# Whole-process benchmarks for bench/RESULTS.md. Needs hyperfine (apt-get install hyperfine).
# Usage: bench/run.sh            (prints medians; paste them into bench/RESULTS.md with machine and date)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine not found: apt-get install hyperfine" >&2; exit 2; }
out="$root/.slipway/bench"
mkdir -p "$out"

echo "== machine"
echo "cores: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); dotnet: $(dotnet --version); date: $(date -u +%F)"

echo "== (a) warm ./build.sh --help against dotnet run --project build -- --help"
./build.sh --help >/dev/null   # make sure the host is built (warm)
dotnet build build/Slipway.Build.csproj -v q --nologo >/dev/null
hyperfine --warmup 3 --runs 20 --export-json "$out/help.json" \
  --command-name 'build.sh --help' './build.sh --help' \
  --command-name 'dotnet run --project build -- --help' 'dotnet run --project build -- --help' >/dev/null
python3 - "$out/help.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["build.sh --help"]["median"], r["dotnet run --project build -- --help"]["median"]
print(f"build.sh --help median {a*1000:.0f} ms; dotnet run median {b*1000:.0f} ms; ratio {a/b:.3f}")
PY

echo "== building the bench host"
# Published the way build.sh publishes a pipeline host: ReadyToRun, lock files kept under obj/.
rid=linux-x64; [ "$(uname -m)" = aarch64 ] && rid=linux-arm64
dotnet publish bench/Slipway.Bench.Host -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true \
  -p:NuGetLockFilePath=obj/host.packages.lock.json -p:RestoreLockedMode=false -o "$out/host" -v q --nologo >/dev/null
host="dotnet $out/host/Slipway.Bench.Host.dll"

echo "== (b) 16 independent targets that each wait 1 s, --parallel 16"
hyperfine --warmup 1 --runs 10 --export-json "$out/parallel.json" \
  "$host --count 16 --independent --wait-ms 1000 --parallel 16 --verbosity quiet" >/dev/null
python3 -c "import json;r=json.load(open('$out/parallel.json'))['results'][0];print(f\"wall median {r['median']*1000:.0f} ms (min {r['min']*1000:.0f}, max {r['max']*1000:.0f})\")"

echo "== (c) plan and --dry-run of generated graphs (each target depends on up to 3 earlier ones)"
for n in 500 1000 2000; do
  hyperfine --warmup 2 --runs 15 --export-json "$out/plan-$n.json" \
    --command-name "plan $n (--tree of one leaf)" "$host --count $n --tree --target T0000" \
    --command-name "dry-run $n" "$host --count $n --dry-run" >/dev/null
  python3 - "$out/plan-$n.json" "$n" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}: median {r['median']*1000:.0f} ms")
PY
done
