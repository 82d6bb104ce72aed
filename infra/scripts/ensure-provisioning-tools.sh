#!/usr/bin/env bash
# Make sure the provisioning tools are installed: Vagrant (Debian's package, for
# `vagrant validate` and loading the Vagrantfile) and Ansible with ansible-lint in their
# own virtualenv (.venv-provisioning) from the hash-checked infra/provisioning/requirements.lock.
# With ECOMLAB_NSPAWN_TOOLS=1 it also installs what the node harness needs
# (debootstrap, systemd-nspawn, dpkg-scanpackages).
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib/apt.sh

PYTHON="${PYTHON:-python3}"
VENV=.venv-provisioning
LOCK=infra/provisioning/requirements.lock
STAMP="$VENV/.installed"

missing=()
command -v vagrant >/dev/null 2>&1 || missing+=(vagrant)
if [ "${ECOMLAB_NSPAWN_TOOLS:-0}" = 1 ]; then
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v systemd-nspawn >/dev/null 2>&1 || missing+=(systemd-container)
  command -v dpkg-scanpackages >/dev/null 2>&1 || missing+=(dpkg-dev)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} with apt" >&2
  apt_install "install ${missing[*]} by hand" "${missing[@]}"
fi

if [ ! -f "$STAMP" ] || [ "$LOCK" -nt "$STAMP" ]; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$LOCK"
  touch "$STAMP"
fi
