#!/usr/bin/env bash
# Make sure Node.js and npm are installed (npm installs ECharts for the dashboards).
set -euo pipefail

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get is not available; install Node.js and npm" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install nodejs and npm" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing with apt: nodejs npm" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
command -v npm >/dev/null 2>&1 || { echo "error: npm is still missing after installing it with apt" >&2; exit 1; }
