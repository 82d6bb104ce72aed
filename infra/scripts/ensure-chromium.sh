#!/usr/bin/env bash
# Make sure Debian's Chromium and Node.js with npm are installed (the dynamic crawler is a Node
# program that drives Chromium through playwright-core).
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing with apt: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get is not available; install ${missing[*]} (and set collection.chromium_path)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
chromium --version
