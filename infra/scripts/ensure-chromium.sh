#!/usr/bin/env bash
# Make sure Debian's Chromium and Node.js with npm are installed (the dynamic crawler is a Node
# program that drives Chromium through playwright-core).
set -euo pipefail
# Bash alone (no dirname): the tests run these scripts with a minimal PATH.
. "${BASH_SOURCE[0]%/*}/lib/apt.sh"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing with apt: ${missing[*]}" >&2
apt_install "install ${missing[*]} (and set collection.chromium_path)" --no-install-recommends "${missing[@]}"
chromium --version
