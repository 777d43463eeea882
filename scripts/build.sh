#!/usr/bin/env bash
# Configures and builds hybridrec in build/ (Release) after making sure every
# dependency is installed. Incremental: a second call only rebuilds what changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
build="${HYBRIDREC_BUILD_DIR:-$root/build}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j"$(nproc)" "$@"
# `import hybridrec` in Debian's python3 (a .pth naming python/ and build/python/).
HYBRIDREC_BUILD_DIR="$build" bash "$root/scripts/install-python.sh"
