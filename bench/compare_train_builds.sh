#!/usr/bin/env bash
# Training speed of two builds side by side in one run (e.g. a change against main):
# the two bench_train programs take turns, so both see the same machine load, and
# the ratio of their median samples/s is printed.
# Usage: bench/compare_train_builds.sh OLD_BUILD NEW_BUILD [ROUNDS] [STEPS] [bench_train options...]
#   bench/compare_train_builds.sh /work/main/build build 5 1500 --model hybrid --threads 1
set -euo pipefail
old="$1"; new="$2"; rounds="${3:-5}"; steps="${4:-1500}"
shift $(( $# < 4 ? $# : 4 ))
for b in old new; do
  dir="${!b}"
  [ -x "$dir/bench/bench_train" ] && dir="$dir/bench"
  [ -x "$dir/bench_train" ] || { echo "no bench_train in ${!b}" >&2; exit 2; }
  printf -v "$b" '%s' "$dir/bench_train"
done
rate() { "$1" --steps "$steps" --skip-peak "${@:2}" | grep '^cpp_samples_per_s=' | cut -d= -f2; }
old_rates=(); new_rates=()
for ((r = 1; r <= rounds; ++r)); do
  a="$(rate "$old" "$@")"; b="$(rate "$new" "$@")"
  old_rates+=("$a"); new_rates+=("$b")
  echo "round $r: old $a samples/s, new $b samples/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mo="$(median "${old_rates[@]}")"; mn="$(median "${new_rates[@]}")"
awk -v o="$mo" -v n="$mn" 'BEGIN {printf "median old %.0f, new %.0f samples/s: new/old = %.3f\n", o, n, n / o}'
