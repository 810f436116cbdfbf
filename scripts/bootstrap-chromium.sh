#!/usr/bin/env bash
# Debian's Chromium for the browser tests (test/browser/), when it is not
# there yet: installed with apt as root, or with sudo when that works
# without a password. Without either it says so and the browser tests skip.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
  echo "bootstrap: chromium at $chromium" >&2
  exit 0
fi
as_root=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    echo "bootstrap: no chromium, and no root to install it: the browser tests will skip" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "bootstrap: no chromium and no apt-get: the browser tests will skip (set CHROMIUM_PATH to one)" >&2
  exit 0
fi
echo "bootstrap: installing Debian's chromium (for test/browser/)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; then
  if ! { "${as_root[@]}" apt-get update >/dev/null 2>&1 &&
    "${as_root[@]}" apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; then
    echo "bootstrap: could not install chromium with apt: the browser tests will skip" >&2
    exit 0
  fi
fi
echo "bootstrap: $("$chromium" --version 2>/dev/null || echo "chromium installed")" >&2
