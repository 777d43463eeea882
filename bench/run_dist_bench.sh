#!/usr/bin/env bash
# Data-parallel throughput on this machine with 1 and 2 ranks (same global batch,
# one thread per rank, so 2 ranks use the 2 cores) and the scaling model to 8 and
# 32 machines (bench/bench_dist.cpp); then 2 ranks with replicated vs row-sharded
# id embedding tables (--shard-embeddings) side by side. Usage: bench/run_dist_bench.sh [BUILD_DIR] [STEPS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
steps="${2:-600}"
[ -x "$build/bench/bench_dist" ] && build="$build/bench"
root_flag=""
[ "$(id -u)" = 0 ] && root_flag="--allow-run-as-root"
field() { grep "^$1=" | cut -d= -f2; }

echo "== 1 rank, 1 thread =="
one="$("$build/bench_dist" --threads 1 --steps "$steps")"
echo "$one"
echo "== 1 rank, 2 threads (the plain single-process engine on both cores) =="
one2="$("$build/bench_dist" --threads 2 --steps "$steps" | sed -n '1,8p')"
echo "$one2"
echo "== 2 ranks (mpirun -np 2), 1 thread each =="
two="$(mpirun -np 2 --oversubscribe $root_flag "$build/bench_dist" --threads 1 --steps "$steps")"
echo "$two"
a="$(echo "$one" | field samples_per_s)"; b="$(echo "$two" | field samples_per_s)"; c="$(echo "$one2" | field samples_per_s)"
echo "speedup 2 ranks vs 1 rank (1 thread each): $(python3 -c "print(round($b/$a, 2))")x; vs 1 rank with 2 threads: $(python3 -c "print(round($b/$c, 2))")x"
echo "== 2 ranks: replicated vs row-sharded id tables (--shard-embeddings), alternating rounds =="
mpirun -np 2 --oversubscribe $root_flag "$build/bench_dist" --threads 1 --steps "$steps" --sharding
