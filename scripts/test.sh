#!/usr/bin/env bash
# Builds if needed and runs the whole test suite (unit, integration, end-to-end)
# against both stores: SQLite (embedded) and a throwaway PostgreSQL server on
# loopback that this script starts and stops. Extra arguments go to ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build.sh"
build="${HYBRIDREC_BUILD_DIR:-$root/build}"

if [ -z "${HYBRIDREC_TEST_PG_URL:-}" ]; then
  eval "$(bash "$root/scripts/pg-test-server.sh" start)"
  trap 'bash "$root/scripts/pg-test-server.sh" stop >/dev/null 2>&1 || true' EXIT
fi
export HYBRIDREC_TEST_PG_URL

cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
