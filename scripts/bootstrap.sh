#!/usr/bin/env bash
# Puts the project's toolchain in place: Node 22 (the `node` devDependency,
# installed by npm ci) and the Pulumi CLI under .tools/ (scripts/bootstrap-pulumi.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ ! -x node_modules/.bin/node ]]; then
  echo "bootstrap: node_modules is missing; running npm ci" >&2
  npm ci --no-audit --no-fund
fi
node_version="$(node_modules/.bin/node --version)"
case "$node_version" in
  v22.*) echo "bootstrap: node $node_version (node_modules/.bin/node)" >&2 ;;
  *) echo "bootstrap: expected Node 22 from the node devDependency, got $node_version" >&2; exit 1 ;;
esac
bash scripts/bootstrap-pulumi.sh "$@"
