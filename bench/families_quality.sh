#!/usr/bin/env bash
# Every model family against every baseline, on every dataset in ../shared/data,
# and the best family on MovieLens 100K beside the published rows of the
# Microsoft Recommenders benchmark table.
#
# Protocols (settings are always chosen on a validation part, never on test):
#  1. ML-100K, the Microsoft Recommenders protocol: per-user stratified random
#     75/25, every rating an implicit positive, K=10, training items excluded,
#     full-catalogue ranking. Selection run: the 75% is cut into 67.5% train and
#     7.5% validation (the 25% test part is the same rows: the split keeps each
#     user's last llround(0.25 n) shuffled interactions for test whatever the
#     validation ratio); each family's grid and early stopping choose on it. Final
#     run: the chosen settings (and, for networks, the best epoch count) refit on
#     the whole 75% and scored on the 25%.
#  2. ML-100K's default temporal split, CiaoDVD and Amazon Musical Instruments
#     (global temporal 70/10/20, the defaults): one run per family, settings
#     chosen on the validation part, test reported with every baseline.
# Usage: bench/families_quality.sh [BUILD_DIR] [FAMILIES...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
families=("$@")
if [ ${#families[@]} -eq 0 ]; then families=(ease ials itemknn mf hybrid ncf neumf); fi
data="$root/../shared/data"
out="${HYBRIDREC_BENCH_OUT:-$(mktemp -d)}"
bin="$build/hybridrec"
py=/usr/bin/python3
echo "working in $out"

train() {  # name, extra args...
  local name="$1"; shift
  /usr/bin/time -f "  $name: %e s, peak RSS %M KB" "$bin" train --no-track --quiet --out "$out/$name" "$@" \
    >"$out/$name.log" 2>&1 || { echo "  $name FAILED:"; tail -5 "$out/$name.log"; return 0; }
  tail -1 "$out/$name.log"
}

echo "== 1. ML-100K, per-user random 75/25 (Microsoft Recommenders protocol)"
protocol=(--data "$data/ml-100k" --set data.split=user_random --set "evaluation.k=[10]"
  --set data.recency_half_life_days=0 --set model.id_dropout_rate=0)
for f in "${families[@]}"; do
  train "select-$f" --model "$f" "${protocol[@]}" \
    --set data.train_ratio=0.675 --set data.val_ratio=0.075 --set data.test_ratio=0.25
  [ -f "$out/select-$f/config.json" ] || continue
  # The chosen settings as a config file (JSON is YAML), networks at their best epoch.
  $py - "$out/select-$f" > "$out/chosen-$f.yaml" <<'PY'
import json, sys
d = sys.argv[1]
config = json.load(open(f"{d}/config.json"))
metrics = json.load(open(f"{d}/metrics.json"))
chosen = {"model": config["model"]}
best = metrics.get("training", {}).get("best_epoch", 0)
if best and best > 0:
    chosen["training"] = {"num_epochs": best, "early_stopping_patience": best + 1}
print(json.dumps(chosen))
PY
  train "final-$f" --model "$f" "${protocol[@]}" --config "$out/chosen-$f.yaml" \
    --set data.train_ratio=0.75 --set data.val_ratio=0.0 --set data.test_ratio=0.25
done
$py - "$out" "${families[@]}" <<'PY'
import json, os, sys
out, families = sys.argv[1], sys.argv[2:]
published = [("ALS", 0.048462, 0.017796, 0.044239, 0.004732),
             ("BiVAE", 0.411771, 0.219145, 0.475077, 0.146126),
             ("BPR", 0.388229, 0.212522, 0.441997, 0.132478),
             ("FastAI", 0.130329, 0.053824, 0.147866, 0.025503),
             ("LightGCN", 0.379626, 0.144336, 0.419846, 0.088526),
             ("NCF", 0.347296, 0.180775, 0.396118, 0.107720),
             ("SAR", 0.330753, 0.176385, 0.382461, 0.110591),
             ("SVD", 0.091198, 0.032783, 0.095930, 0.012873)]
def row(r):
    return (r["precision@10"], r["recall@10"], r["ndcg@10"], r["map_all@10"])
rows, baselines, selection = [], {}, {}
for f in families:
    path = f"{out}/final-{f}/metrics.json"
    if not os.path.exists(path):
        continue
    m = json.load(open(path))
    rows.append((f"hybridrec {f}", *row(m["metrics"]["ranking"])))
    for name, b in m.get("baselines", {}).items():
        baselines[name] = row(b["ranking"])
    cfg = json.load(open(f"{out}/final-{f}/config.json"))["model"].get(f, {})
    selection[f] = cfg
rows += [(f"hybridrec {n} (baseline)", *v) for n, v in sorted(baselines.items())]
print(f"{'model':<34}{'P@10':>8}{'R@10':>8}{'NDCG@10':>9}{'MAP':>8}")
for name, p, r, n, m in rows + [(f"published {n}", *v) for n, *v in published]:
    print(f"{name:<34}{p:>8.4f}{r:>8.4f}{n:>9.4f}{m:>8.4f}")
fam = [r for r in rows if not r[0].endswith("(baseline)")]
if fam:
    best = max(fam, key=lambda r: r[3])
    beaten = all(all(best[i + 1] > pub[i + 1] for i in range(4)) for pub in published)
    print(f"best family {best[0]}: beats every published row on all four metrics: {'yes' if beaten else 'NO'}")
print("MAP is map_all@10 (average precision over all relevant items), the table's definition.")
for f, s in selection.items():
    print(f"  chosen on validation, {f}: {json.dumps(s)}")
PY

echo
echo "== 2. Each family on the default (global temporal 70/10/20) split"
declare -A mapping=(
  [ml-100k]="--data $data/ml-100k"
  [ciaodvd]="--data $data/ciaodvd/movie-ratings.txt --sep , --columns user,item,-,-,rating,time"
  [amazon-mi5]="--data $data/amazon-mi5/reviews_Musical_Instruments_5.json.gz --user-col reviewerID --item-col asin --weight-col overall --time-col unixReviewTime"
)
for ds in ml-100k ciaodvd amazon-mi5; do
  for f in "${families[@]}"; do
    # shellcheck disable=SC2086
    train "$ds-$f" --model "$f" ${mapping[$ds]}
  done
done
$py - "$out" "${families[@]}" <<'PY'
import json, os, sys
out, families = sys.argv[1], sys.argv[2:]
for ds in ("ml-100k", "ciaodvd", "amazon-mi5"):
    rows, baselines = [], {}
    for f in families:
        path = f"{out}/{ds}-{f}/metrics.json"
        if not os.path.exists(path):
            rows.append((f, None)); continue
        m = json.load(open(path))
        rows.append((f, m["metrics"]["ranking"]["ndcg@10"]))
        for name, b in m.get("baselines", {}).items():
            baselines[name] = b["ranking"]["ndcg@10"]
    best_base = max(baselines.values()) if baselines else 0
    print(f"{ds}: test NDCG@10 (best baseline {best_base:.4f})")
    for name, v in rows + [(f"{n} (baseline)", v) for n, v in sorted(baselines.items())]:
        mark = "" if v is None or "(baseline)" in name else ("  above every baseline" if v > best_base else "  BELOW a baseline")
        print(f"  {name:<24}{'failed' if v is None else f'{v:.4f}':>8}{mark}")
PY
