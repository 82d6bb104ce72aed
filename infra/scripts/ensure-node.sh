#!/usr/bin/env bash
# Make sure Node.js and npm are installed (npm installs ECharts for the dashboards).
set -euo pipefail
# Bash alone (no dirname): the tests run these scripts with a minimal PATH.
. "${BASH_SOURCE[0]%/*}/lib/apt.sh"

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
echo "installing with apt: nodejs npm" >&2
apt_install "install Node.js and npm" --no-install-recommends nodejs npm
command -v npm >/dev/null 2>&1 || { echo "error: npm is still missing after installing it with apt" >&2; exit 1; }
