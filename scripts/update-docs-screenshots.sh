#!/usr/bin/env bash
# Retakes the report screenshots in docs/ (docs/report-compare.png,
# docs/report-study.png, docs/ui-events.png): the test suite's ReportScreenshots
# tests render the pages and photograph them with headless Chromium into
# BUILD/test-output/, and this copies the pictures into docs/.
# Usage: scripts/update-docs-screenshots.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if [ ! -x "$build/tests/test_report" ]; then
  echo "no $build/tests/test_report: build it first (cmake --build $build --target test_report)" >&2
  exit 1
fi
# CI=true: a missing chromium fails the tests instead of skipping them, so no stale picture is copied.
CI=true "$build/tests/test_report" --gtest_filter='ReportScreenshots.*'
for name in report-compare report-study ui-events; do
  cp "$build/test-output/$name.png" "docs/$name.png"
  echo "docs/$name.png ($(stat -c %s "docs/$name.png") bytes)"
done
