#!/usr/bin/env bash
# Bayesian optimisation vs random search (C++, tune/proposer.h) vs Optuna's TPE
# (Debian python3-optuna) on Branin and Hartmann-6, in one run: the median over
# seeds of the best value after N evaluations (lower is better), side by side.
#   bench/run_tune_bench.sh [BUILD_DIR=build] [SEEDS=10] [EVALUATIONS=20]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
seeds="${2:-10}"
evals="${3:-20}"
[ -x "$build/bench/bench_tune_functions" ] || cmake --build "$build" --target bench_tune_functions >/dev/null
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
"$build/bench/bench_tune_functions" "$seeds" "$evals" >>"$results"
/usr/bin/python3 "$root/bench/optuna_tpe.py" "$seeds" "$evals" >>"$results"
/usr/bin/python3 - "$results" "$seeds" "$evals" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, strategy, median, seconds, *per_seed = line.split()
    rows[(name, strategy)] = (float(median), float(seconds))
optimum = {"branin": 0.397887, "hartmann6": -3.32237}
print(f"median best value over {sys.argv[2]} seeds, {sys.argv[3]} evaluations each (lower is better)")
print(f"{'function':<10} {'optimum':>9} {'bayesian':>9} {'random':>9} {'tpe':>9}   bayesian<random  bayesian<=tpe")
for name in ("branin", "hartmann6"):
    b, r, t = (rows[(name, s)][0] for s in ("bayesian", "random", "tpe"))
    print(f"{name:<10} {optimum[name]:>9.4f} {b:>9.4f} {r:>9.4f} {t:>9.4f}   {str(b < r):<16} {b <= t}")
print("seconds for all seeds: " + ", ".join(f"{n}/{s} {rows[(n, s)][1]:.1f}" for n in ("branin", "hartmann6")
                                            for s in ("bayesian", "random", "tpe")))
PY
