#!/usr/bin/env bash
# Training throughput, C++ engine vs PyTorch, on identical batches (batch 256, MSE,
# Adam, 2 threads), plus the C++ engine's fraction of the machine's SGEMM peak.
# Usage: bench/run_train_bench.sh [BUILD_DIR] [STEPS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
steps="${2:-2000}"
# CMake puts the bench programs in BUILD_DIR/bench; accept a folder holding them directly too.
[ -x "$build/bench/bench_train" ] && build="$build/bench"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Debian's torch uses OpenBLAS; these variables (set for other tools) mis-tune it.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
# OMP_WAIT_POLICY is left at its default so PyTorch runs at its best on an idle machine;
# on a loaded machine OMP_WAIT_POLICY=PASSIVE (set by the caller) keeps both sides sane.

field() { grep "^$1=" | cut -d= -f2; }

for model in ncf hybrid; do
  echo "== $model =="
  cpp="$("$build/bench_train" --model "$model" --threads 2 --steps "$steps" --write-samples "$tmp/$model.bin")"
  echo "$cpp"
  cpp_dense="$("$build/bench_train" --model "$model" --threads 2 --steps "$steps" --dense-adam --skip-peak)"
  echo "$cpp_dense" | grep -E "samples_per_s|step_ms" | sed 's/^/dense_adam_/'
  py="$(/usr/bin/python3 "$here/pytorch_train.py" "$tmp/$model.bin" --model "$model" --steps "$steps" --threads 2)"
  echo "$py"
  c="$(echo "$cpp" | field cpp_samples_per_s)"
  cd_="$(echo "$cpp_dense" | field cpp_samples_per_s)"
  t="$(echo "$py" | field torch_samples_per_s)"
  awk -v c="$c" -v d="$cd_" -v t="$t" -v m="$model" \
    'BEGIN { printf "RESULT %s: cpp(lazy)/torch = %.2fx, cpp(dense Adam)/torch = %.2fx\n", m, c / t, d / t }'
done

echo "== full-catalog scoring (ncf, 6040 users x 3706 items) =="
score="$("$build/bench_score" --model ncf --threads 2)"
echo "$score"
pys="$(/usr/bin/python3 "$here/pytorch_score.py" --threads 2)"
echo "$pys"
c="$(echo "$score" | field cpp_score_all_pairs_per_s)"
n="$(echo "$pys" | field torch_naive_pairs_per_s)"
s="$(echo "$pys" | field torch_split_pairs_per_s)"
awk -v c="$c" -v n="$n" -v s="$s" \
  'BEGIN { printf "RESULT scoring: cpp %.1fM pairs/s = %.1fx torch naive, %.1fx torch split-layer\n", c / 1e6, c / n, c / s }'
