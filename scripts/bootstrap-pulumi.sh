#!/usr/bin/env bash
# Puts a Pulumi CLI and its Node.js language host into .tools/pulumi/bin/.
#
# There is no Pulumi download site reachable from our machines, so both are
# built from Go modules pinned in scripts/pulumi-cli/:
#   - go.mod                  -> the CLI, github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   - language-nodejs/go.mod  -> pulumi-language-nodejs, from sdk/v3 (see the
#                                comment in that go.mod for why it is older)
#
# Order of preference:
#   1. .tools/pulumi/bin/pulumi (+ language host) already at the pinned versions;
#   2. a `pulumi` on PATH that reports the pinned version;
#   3. build with `go` (first build: several minutes, ~2 GB of Go caches);
#   4. otherwise explain how to get Pulumi and exit 1.
# In cases 1 and 3 it also links pulumi-resource-pulumi-nodejs (needed by
# dynamic providers) from node_modules/@pulumi/pulumi/ into the bin dir.
# Policy packs need nothing here: CLI v3.274 never looks for the old
# pulumi-analyzer-policy shim (@pulumi/pulumi 3.276 no longer ships it); it
# runs a pack folder through the language host (which v3.68.0 cannot) or
# starts an executable pack directly, as policy/run.mjs is.
#
# Usage: scripts/bootstrap-pulumi.sh [--force]
#   --force   rebuild even if the binaries look current
# Afterwards: export PATH="$PWD/.tools/pulumi/bin:$PATH"
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
cli_mod="$script_dir/pulumi-cli"
host_mod="$cli_mod/language-nodejs"
bin_dir="$repo_root/.tools/pulumi/bin"
log_dir="$repo_root/.tools/pulumi/logs"

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bootstrap-pulumi: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

say() { printf 'bootstrap-pulumi: %s\n' "$*" >&2; }

# Version of module $2 required in go.mod $1 (single-line or block require).
required_version() {
  awk -v mod="$2" '{ for (i = 1; i < NF; i++) if ($i == mod) { print $(i + 1); exit } }' "$1"
}

pulumi_version="$(required_version "$cli_mod/go.mod" github.com/pulumi/pulumi/pkg/v3)"
host_version="$(required_version "$host_mod/go.mod" github.com/pulumi/pulumi/sdk/v3)"
if [[ -z "$pulumi_version" || -z "$host_version" ]]; then
  say "cannot read the pinned versions from $cli_mod/go.mod and $host_mod/go.mod"
  exit 1
fi

# A stamp beside the language host records what it was built from, since the
# binary has no --version flag.
host_stamp_file="$bin_dir/.pulumi-language-nodejs.stamp"
host_stamp() { cat "$host_mod/go.mod" "$host_mod/go.sum" | cksum | cut -d' ' -f1; }

reports_pinned_version() { # $1 = path to a pulumi binary
  [[ -x "$1" ]] && [[ "$("$1" version 2>/dev/null || true)" == "$pulumi_version" ]]
}
cli_current() { reports_pinned_version "$bin_dir/pulumi"; }
host_current() {
  [[ -x "$bin_dir/pulumi-language-nodejs" && -f "$host_stamp_file" ]] &&
    [[ "$(cat "$host_stamp_file")" == "$(host_stamp)" ]]
}

link_node_helpers() {
  local pkg="$repo_root/node_modules/@pulumi/pulumi" name
  [[ -d "$pkg" ]] || return 0
  for name in pulumi-resource-pulumi-nodejs; do
    if [[ -f "$pkg/$name" ]]; then
      ln -sfn "$pkg/$name" "$bin_dir/$name"
    fi
  done
}

finish() { # $1 = bin dir that holds the pulumi to report
  say "bin dir: $1"
  say "pulumi version: $("$1/pulumi" version)"
  echo "$1"
}

# go build with a one-line-per-100-packages progress summary; full log kept.
go_build() { # $1 = label, $2 = module dir, $3 = output path, $4 = ldflags, $5 = package
  local label="$1" dir="$2" out="$3" ldflags="$4" pkg="$5"
  local log="$log_dir/build-$label.log" start=$SECONDS n=0 dl=0 line
  mkdir -p "$log_dir" "$bin_dir"
  say "building $label ($pkg) -> $out"
  say "  full log: $log"
  # -mod=readonly: the committed go.sum must already cover everything, so no
  # checksum-database look-up is needed and nothing in go.mod/go.sum changes.
  if ! (cd "$dir" && go build -v -mod=readonly -trimpath -buildvcs=false -ldflags "$ldflags" \
          -o "$out.tmp" "$pkg") 2>&1 | tee "$log" | {
      while IFS= read -r line; do
        if [[ "$line" == "go: downloading "* ]]; then
          dl=$((dl + 1))
          (( dl % 50 == 1 )) && say "  [$label] downloading modules... ($dl so far)"
        else
          n=$((n + 1))
          (( n % 100 == 0 )) && say "  [$label] compiled $n packages ($((SECONDS - start))s)"
        fi
      done
      true
    }; then
    rm -f "$out.tmp"
    say "building $label FAILED; last lines of $log:"
    tail -n 30 "$log" >&2
    exit 1
  fi
  mv -f "$out.tmp" "$out"
  say "built $label in $((SECONDS - start))s"
}

# 1. Already bootstrapped?
if (( ! force )) && cli_current && host_current; then
  link_node_helpers
  finish "$bin_dir"
  exit 0
fi

# 2. A pulumi of the pinned version on PATH (an official install ships the
#    language hosts and pulumi-resource-pulumi-nodejs beside it).
if (( ! force )) && path_pulumi="$(command -v pulumi 2>/dev/null)" &&
   [[ "$path_pulumi" != "$bin_dir/pulumi" ]] && reports_pinned_version "$path_pulumi" &&
   [[ -x "$(dirname "$path_pulumi")/pulumi-language-nodejs" ]]; then
  say "using the pulumi on PATH"
  finish "$(dirname "$path_pulumi")"
  exit 0
fi

# 3. Build with Go.
if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<EOF
bootstrap-pulumi: no Pulumi CLI $pulumi_version found, and no Go toolchain to build one.
  Either install Go (1.26 or newer; e.g. 'apt-get install golang-go' if that is
  recent enough) and run this script again, or install the Pulumi CLI
  $pulumi_version (https://www.pulumi.com/docs/install/) so that 'pulumi' and
  'pulumi-language-nodejs' are on PATH.
EOF
  exit 1
fi

say "Go: $(go version)"
if (( force )) || ! cli_current; then
  go_build pulumi "$cli_mod" "$bin_dir/pulumi" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  if ! cli_current; then
    say "built pulumi reports '$("$bin_dir/pulumi" version 2>&1 || true)', expected $pulumi_version"
    exit 1
  fi
else
  say "pulumi $pulumi_version already built"
fi

if (( force )) || ! host_current; then
  go_build pulumi-language-nodejs "$host_mod" "$bin_dir/pulumi-language-nodejs" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  host_stamp > "$host_stamp_file"
else
  say "pulumi-language-nodejs ($host_version) already built"
fi

link_node_helpers
finish "$bin_dir"
