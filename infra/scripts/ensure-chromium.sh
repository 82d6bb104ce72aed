#!/usr/bin/env bash
# Make sure Debian's Chromium is installed (the dynamic crawler drives it through playwright-core).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

echo "chromium not found: installing Debian's chromium with apt" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get is not available; install Chromium and set collection.chromium_path" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install Chromium" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
chromium --version
