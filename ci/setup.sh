#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test georace.
# Idempotent: installs only missing packages. Runs as root (or via sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git golang-go
  clang libclang-rt-14-dev llvm-14 clang-format
  libmaxminddb-dev mmdb-bin libmaxmind-db-writer-perl
  libcunit1-dev libevent-dev libjansson-dev libuv1-dev libhttp-parser-dev
  liburcu-dev libck-dev
  gnuplot-nox
  nginx libnginx-mod-http-geoip2
  wrk curl procps valgrind python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "ci/setup.sh: all ${#packages[@]} packages present"
  exit 0
fi

echo "ci/setup.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts nginx on install; georace's benchmark runs its own instance.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now nginx >/dev/null 2>&1 || true; fi
