# Sourced by the ensure-*.sh scripts: install Debian packages with apt, as root or through sudo.
#   apt_install "what to do by hand without apt" [apt-get install options] PACKAGE...
apt_install() {
  local by_hand="$1"
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get is not available; $by_hand" >&2
    return 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install: $*" >&2; return 1; }
    sudo="sudo"
  fi
  # Wait for another apt run rather than failing on its lock.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}
