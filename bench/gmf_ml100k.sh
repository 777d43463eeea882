#!/usr/bin/env bash
# Does NeuMF's GMF branch (model.gmf_dim) help? Test NDCG@10 on MovieLens 100K of
# hybrid and ncf with and without it, under the default configuration (temporal
# 70/10/20 split) and under bench/ml100k_protocol.sh's per-user 75/25 protocol.
# Usage: bench/gmf_ml100k.sh [ML100K_DIR] [BUILD_DIR] [GMF_DIM] [SEEDS]
# GMF_DIM defaults to 32 = the last hidden layer, as NeuMF ties its predictive factors.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/ml-100k}"
build="${2:-$root/build}"
gmf="${3:-32}"
seeds="${4:-42}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
protocol=(--set data.split=user_random --set data.train_ratio=0.75 --set data.val_ratio=0.0 --set data.test_ratio=0.25
  --set data.recency_half_life_days=0 --set model.id_dropout_rate=0
  --set training.loss_function=BPRLoss --set training.learning_rate=0.005 --set training.num_epochs=12
  --set data.negative_sampling_ratio=8 --set training.batch_size=512)
printf "%-10s %-8s %-8s %6s %9s %8s\n" protocol model gmf_dim seed ndcg@10 seconds
for setting in default per_user; do
  for model in hybrid ncf; do
    for g in 0 "$gmf"; do
      for seed in $seeds; do
        extra=()
        [ "$setting" = per_user ] && extra=("${protocol[@]}")
        dir="$out/$setting-$model-$g-$seed"
        start=$(date +%s.%N)
        "$build/hybridrec" train --data "$data" --model "$model" --out "$dir" --no-track --quiet --seed "$seed" \
          --set model.gmf_dim="$g" --set "evaluation.k=[10]" "${extra[@]}" >/dev/null
        end=$(date +%s.%N)
        ndcg=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["metrics"]["ranking"]["ndcg@10"])' "$dir/metrics.json")
        printf "%-10s %-8s %-8s %6s %9s %8.1f\n" "$setting" "$model" "$g" "$seed" "$ndcg" "$(echo "$end - $start" | bc)"
      done
    done
  done
done
