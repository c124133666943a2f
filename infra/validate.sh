#!/usr/bin/env bash
# Checks every stack under infra/ the way `terraform validate` can without cloud credentials:
# fmt, then per stack `init -backend=false` (providers only, no state) and `validate`.
#
#   infra/validate.sh [PLUGIN_DIR]
#
# Without PLUGIN_DIR, init downloads hashicorp/aws from the registry. Offline, give a filesystem mirror
# laid out as PLUGIN_DIR/registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/ (-plugin-dir).
# Each stack is copied to a temporary directory first, so nothing is written under infra/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PLUGIN_DIR="${1:-}"
command -v terraform >/dev/null || { echo "validate.sh: terraform not found on PATH" >&2; exit 2; }
export TF_IN_AUTOMATION=1

terraform fmt -check -recursive -diff "$HERE"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r "$HERE" "$WORK/infra"
for stack in single-node fleet production; do
	printf '==> %s\n' "$stack"
	init=(terraform -chdir="$WORK/infra/$stack" init -backend=false -input=false -no-color)
	[ -n "$PLUGIN_DIR" ] && init+=(-plugin-dir="$PLUGIN_DIR")
	"${init[@]}" > "$WORK/$stack-init.log" 2>&1 || { cat "$WORK/$stack-init.log" >&2; exit 1; }
	terraform -chdir="$WORK/infra/$stack" validate -no-color
done
