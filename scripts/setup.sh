#!/usr/bin/env bash
# Installs every Debian package hybridrec needs. Idempotent: when everything is
# present it only runs dpkg queries (well under a second).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libeigen3-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql libssl-dev
  libcpp-httplib-dev libmicrohttpd-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  python3 python3-numpy python3-scipy python3-torch libopenblas0-openmp
  python3-dev pybind11-dev python3-pandas python3-pytest
  xz-utils ccache zlib1g-dev liblzma-dev
  wrk libhnswlib-dev python3-optuna chromium chromium-driver
)

# Optional groups, named as arguments: `setup.sh fuzz` adds what scripts/fuzz.sh
# needs (libFuzzer comes with clang's runtime package).
for group in "$@"; do
  case "$group" in
    fuzz) PACKAGES+=(clang libclang-rt-14-dev) ;;
    *) echo "setup: unknown package group '$group' (known: fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
