#!/usr/bin/env bash
# Make sure a Java 17+ runtime is on PATH (Spark needs it); install it with apt when missing.
set -euo pipefail
# Bash alone (no dirname): the tests run these scripts with a minimal PATH.
. "${BASH_SOURCE[0]%/*}/lib/apt.sh"

java_major() {
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ] 2>/dev/null; then
  exit 0
fi

echo "Java 17 or newer not found: installing openjdk-17-jre-headless with apt" >&2
apt_install "install a Java 17+ runtime and put java on PATH" openjdk-17-jre-headless
java -version
