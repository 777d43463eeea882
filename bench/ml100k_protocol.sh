#!/usr/bin/env bash
# MovieLens 100K under the protocol of the Microsoft Recommenders benchmark table:
# per-user stratified random 75/25 split, every rating an implicit positive, K=10,
# training items excluded, full-catalogue ranking. Prints hybridrec's models and
# baselines next to the published rows.
#
# The settings (BPR loss, lr 0.005, 8 negatives, batch 512, 12 epochs) were chosen on a validation run
# (67.5/7.5/25 split, early stopping on validation NDCG@10), never on the test part:
#   hybridrec train --data ML100K --set data.split=user_random --set data.train_ratio=0.675 \
#     --set data.val_ratio=0.075 --set data.test_ratio=0.25 --set training.loss_function=BPRLoss \
#     --set training.learning_rate=0.005 --set data.negative_sampling_ratio=8 --set training.batch_size=512
# Usage: bench/ml100k_protocol.sh [ML100K_DIR] [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/ml-100k}"
build="${2:-$root/build}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
common=(--data "$data" --no-track --quiet
  --set data.split=user_random --set data.train_ratio=0.75 --set data.val_ratio=0.0 --set data.test_ratio=0.25
  --set data.recency_half_life_days=0 --set model.id_dropout_rate=0
  --set training.loss_function=BPRLoss --set training.learning_rate=0.005 --set training.num_epochs=12
  --set data.negative_sampling_ratio=8 --set training.batch_size=512
  --set "evaluation.k=[10]")
for model in hybrid ncf; do
  /usr/bin/time -f "$model trained and evaluated in %e s (peak RSS %M KB)" \
    "$build/hybridrec" train --model "$model" --out "$out/$model" "${common[@]}"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rows = []
for model in ("hybrid", "ncf"):
    m = json.load(open(f"{out}/{model}/metrics.json"))
    r = m["metrics"]["ranking"]
    rows.append((f"hybridrec {model}", r["precision@10"], r["recall@10"], r["ndcg@10"], r["map_all@10"]))
    if model == "hybrid":
        for name, b in sorted(m["baselines"].items()):
            br = b["ranking"]
            rows.append((f"hybridrec {name}", br["precision@10"], br["recall@10"], br["ndcg@10"], br["map_all@10"]))
published = [("published BPR", 0.3882, 0.2125, 0.4420, 0.1325),
             ("published NCF", 0.3473, 0.1808, 0.3961, 0.1077),
             ("published SAR", 0.3308, 0.1764, 0.3825, 0.1106)]
print(f"{'model':<22}{'P@10':>8}{'R@10':>8}{'NDCG@10':>9}{'MAP':>8}")
for name, p, r, n, m in rows + published:
    print(f"{name:<22}{p:>8.4f}{r:>8.4f}{n:>9.4f}{m:>8.4f}")
print("MAP is map_all@10 (average precision normalised by all relevant items), the table's definition.")
PY
