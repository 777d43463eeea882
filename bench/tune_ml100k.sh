#!/usr/bin/env bash
# The specification's tuning job on MovieLens 100K: Bayesian optimisation over
# the specification's search space, 20 jobs, 2 in parallel, objective validation
# NDCG@10 (maximised), median early stopping. Prints the best validation NDCG@10,
# the wall time, and the best trial's test NDCG@10 against the default
# configuration trained with the same settings (same epoch cap, same split).
#   bench/tune_ml100k.sh [BUILD_DIR=build] [EPOCHS=10] [JOBS=20] [PARALLEL=2]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
epochs="${2:-10}"
jobs="${3:-20}"
parallel="${4:-2}"
data="${HYBRIDREC_ML100K:-$root/../shared/data/ml-100k}"
bin="$build/hybridrec"
work="$(mktemp -d /tmp/hybridrec-tune-ml100k.XXXXXX)"
echo "workspace $work; epochs capped at $epochs (training.num_epochs), $jobs jobs, $parallel in parallel"

start=$(date +%s.%N)
"$bin" train --data "$data" --set training.num_epochs="$epochs" --workspace "$work/ws" --out "$work/default" \
  --no-register --quiet --run-name default >"$work/default.log"
default_seconds=$(echo "$(date +%s.%N) - $start" | bc)

start=$(date +%s.%N)
"$bin" tune --data "$data" --set training.num_epochs="$epochs" --workspace "$work/ws" --study ml100k \
  --max-jobs "$jobs" --max-parallel-jobs "$parallel" | tee "$work/tune.log"
tune_seconds=$(echo "$(date +%s.%N) - $start" | bc)
"$bin" tune show --json --study ml100k --workspace "$work/ws" >"$work/study.json"

/usr/bin/python3 - "$work" "$tune_seconds" "$default_seconds" <<'PY'
import json, sys
work, tune_s, default_s = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
study = json.load(open(f"{work}/study.json"))
default_metrics = json.load(open(f"{work}/default/metrics.json"))["metrics"]["ranking"]
default_hist = json.load(open(f"{work}/default/training_history.json"))
default_val = max(r["val_ndcg@10"] for r in default_hist)
best = study["best"]
statuses = {}
for t in study["trials"]:
    statuses[t["status"]] = statuses.get(t["status"], 0) + 1
print()
print(f"{'':<28} {'val ndcg@10':>12} {'test ndcg@10':>13}")
print(f"{'default configuration':<28} {default_val:>12.4f} {default_metrics['ndcg@10']:>13.4f}   ({default_s:.0f} s, 2 threads)")
print(f"{'best trial (#' + str(best['number']) + ')':<28} {best['objective']:>12.4f} {best['result']['test']['ndcg@10']:>13.4f}")
print(f"test ndcg@10 change: {100 * (best['result']['test']['ndcg@10'] / default_metrics['ndcg@10'] - 1):+.1f}%")
print(f"study wall time {tune_s:.0f} s for {len(study['trials'])} trials; statuses {statuses}")
print("best parameters: " + json.dumps(best["params"]))
print("importance: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(study["importance"].items(), key=lambda kv: -kv[1])))
PY
