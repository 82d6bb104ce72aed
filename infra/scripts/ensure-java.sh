#!/usr/bin/env bash
# Make sure a Java 17+ runtime is on PATH (Spark needs it); install it with apt when missing.
set -euo pipefail

java_major() {
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ] 2>/dev/null; then
  exit 0
fi

echo "Java 17 or newer not found: installing openjdk-17-jre-headless with apt" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get is not available; install a Java 17+ runtime and put java on PATH" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install Java" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
java -version
