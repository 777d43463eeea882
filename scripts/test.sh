#!/usr/bin/env bash
# Builds if needed and runs the whole test suite (unit, integration, end-to-end).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build.sh"
build="${HYBRIDREC_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
