#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries and its JDBC driver are installed (Debian packages),
# for the local profile's `ecomlab up`. Installs them with apt when missing; starts nothing:
# `ecomlab up` initialises and runs its own cluster in the platform's home.
set -euo pipefail

# Where Debian puts them (overridable for tests).
PG_LIB="${PG_LIB:-/usr/lib/postgresql}"
JDBC_JAR="${JDBC_JAR:-/usr/share/java/postgresql.jar}"

have_server() { ls "$PG_LIB"/*/bin/postgres >/dev/null 2>&1; }
have_jdbc() { [ -f "$JDBC_JAR" ]; }

if have_server && have_jdbc; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get is not available; install PostgreSQL 15+ and its JDBC driver (postgresql.jar)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install PostgreSQL" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing PostgreSQL and its JDBC driver with apt" >&2
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# Wait for another apt run rather than failing on its lock.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  postgresql libpostgresql-jdbc-java >/dev/null
have_server && have_jdbc
