#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries and its JDBC driver are installed (Debian packages),
# for the local profile's `ecomlab up`. Installs them with apt when missing; starts nothing:
# `ecomlab up` initialises and runs its own cluster in the platform's home.
set -euo pipefail
# Bash alone (no dirname): the tests run these scripts with a minimal PATH.
. "${BASH_SOURCE[0]%/*}/lib/apt.sh"

# Where Debian puts them (overridable for tests).
PG_LIB="${PG_LIB:-/usr/lib/postgresql}"
JDBC_JAR="${JDBC_JAR:-/usr/share/java/postgresql.jar}"

have_server() { ls "$PG_LIB"/*/bin/postgres >/dev/null 2>&1; }
have_jdbc() { [ -f "$JDBC_JAR" ]; }

if have_server && have_jdbc; then
  exit 0
fi

echo "installing PostgreSQL and its JDBC driver with apt" >&2
apt_install "install PostgreSQL 15+ and its JDBC driver (postgresql.jar)" postgresql libpostgresql-jdbc-java
have_server && have_jdbc
