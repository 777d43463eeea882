#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/targets.cmake) for a bounded time, then
# merges what it found into fuzz/corpus/<target> (minimised: only inputs that
# add coverage), which the test suite replays. Crashes are written to
# fuzz/crashes/ and make this script exit non-zero.
#   scripts/fuzz.sh [SECONDS_PER_TARGET=600] [PARALLEL=2] [TARGET...]
# Naming targets runs only those (e.g. the ones a change touched); the default
# is every target. HYBRIDREC_FUZZ_NICE (default 0) lowers the fuzzers' priority
# on a shared machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-600}"
parallel="${2:-2}"
shift $(($# < 2 ? $# : 2))
bash "$root/scripts/setup.sh" fuzz
build="$root/build-fuzz"
if [ $# -gt 0 ]; then
  targets="$*"
else
  targets=$(sed -n 's/^set(HYBRIDREC_FUZZ_TARGETS \(.*\))$/\1/p' "$root/fuzz/targets.cmake")
fi
CXX=clang++ cmake -S "$root/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086  # one --target per name
cmake --build "$build" -j"$(nproc)" $(printf -- '--target %s ' $targets)
nice_level="${HYBRIDREC_FUZZ_NICE:-0}"
mkdir -p "$root/fuzz/crashes"
run_target() {
  local t="$1" work="$build/work/$1"
  mkdir -p "$work" "$root/fuzz/corpus/$t"
  # -rss_limit_mb: a loader that balloons on small input is a finding, not a pass.
  nice -n "$nice_level" "$build/$t" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$root/fuzz/crashes/$t-" \
    "$work" "$root/fuzz/corpus/$t" >"$build/$t.log" 2>&1 || echo "$t: FAILED (see $build/$t.log)"
  "$build/$t" -merge=1 "$root/fuzz/corpus/$t" "$work" >>"$build/$t.log" 2>&1 || true
  local runs cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log" | head -1)
  cov=$(grep -o 'cov: [0-9]*' "$build/$t.log" | tail -1)
  echo "$t: ${seconds}s, ${runs:-?} inputs run, ${cov:-cov: ?}, corpus $(ls "$root/fuzz/corpus/$t" | wc -l) files"
}
export -f run_target
export build root seconds nice_level
printf '%s\n' $targets | xargs -P "$parallel" -I{} bash -c 'run_target {}'
if compgen -G "$root/fuzz/crashes/*" >/dev/null; then
  echo "crashes found:"; ls -l "$root/fuzz/crashes"; exit 1
fi
