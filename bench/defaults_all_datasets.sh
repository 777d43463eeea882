#!/usr/bin/env bash
# Plain `hybridrec train` with no settings, only the flags that map each
# dataset's columns, on every dataset in ../shared/data and on the generated
# shop: does the default answer score test NDCG@10 at or above the best baseline?
# Every auto setting is chosen on the validation part (never on test); the table
# shows what auto chose, the answer's test NDCG@10 (a baseline when the trained
# model ranked validation below it), the trained model's own test NDCG@10 and
# every baseline's.
# Usage: bench/defaults_all_datasets.sh [BUILD_DIR] [DATASET...]
#   datasets: ml-100k ciaodvd amazon-mi5 shop (default: all four)
#   SET="model.id_dropout_rate=0.3 ...": settings to pin instead of the defaults
#   (to compare a fixed value with what auto chooses, on the same splits).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
datasets=("$@")
if [ ${#datasets[@]} -eq 0 ]; then datasets=(ml-100k ciaodvd amazon-mi5 shop); fi
data="$root/../shared/data"
out="${HYBRIDREC_BENCH_OUT:-$(mktemp -d)}"
mkdir -p "$out"
bin="$build/hybridrec"
echo "working in $out"

args_of() {
  case "$1" in
    ml-100k) echo "--data $data/ml-100k" ;;
    ciaodvd) echo "--data $data/ciaodvd/movie-ratings.txt --columns user,item,genre,-,rating,time" ;;
    amazon-mi5) echo "--data $data/amazon-mi5/reviews_Musical_Instruments_5.json.gz --user-col reviewerID \
--item-col asin --weight-col overall --time-col unixReviewTime" ;;
    shop) echo "--data $out/shop-data" ;;
  esac
}

for name in "${datasets[@]}"; do
  if [ "$name" = shop ] && [ ! -d "$out/shop-data" ]; then "$bin" generate --out "$out/shop-data" --seed 7 >/dev/null; fi
  pinned=()
  for kv in ${SET:-}; do pinned+=(--set "$kv"); done
  # shellcheck disable=SC2046
  /usr/bin/time -f "%e" -o "$out/$name.seconds" "$bin" train $(args_of "$name") "${pinned[@]}" --no-track --out "$out/$name" \
    >"$out/$name.log" 2>&1 || { echo "$name FAILED:"; tail -5 "$out/$name.log"; }
done

/usr/bin/python3 - "$out" "${datasets[@]}" <<'EOF'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
rows, failed = [], False
for name in names:
    try:
        m = json.load(open(f"{out}/{name}/metrics.json"))
        c = json.load(open(f"{out}/{name}/config.json"))
    except OSError:
        rows.append((name, "run failed", "", "", "", "", "FAIL")); failed = True; continue
    seconds = open(f"{out}/{name}.seconds").read().strip()
    auto = c.get("auto_settings", {}).get("data.recency_half_life_days", {})
    hl = auto.get("value", 0)
    frac = next((x["fraction_of_span"] for x in auto.get("candidates", []) if x["half_life_days"] == hl), None)
    chose = "half-life " + ("off" if hl == 0 else f"{hl:.1f} d" + (f" (span/{1/frac:.0f})" if frac else ""))
    dropout = c.get("auto_settings", {}).get("model.id_dropout_rate")
    if dropout: chose += f", id dropout {dropout['value']:.2f}" + (" (auto)" if dropout.get("origin") == "auto" else "")
    answer = m["metrics"]["ranking"]["ndcg@10"]
    fb = m.get("fallback")
    trained = c["model"]["type"] if not fb else fb["trained_family"]
    trained_test = answer if not fb or fb["served"] == fb["trained_family"] else fb.get("trained_test_ndcg@10", float("nan"))
    served = c["model"]["type"]
    base = {k: v["ranking"]["ndcg@10"] for k, v in m["baselines"].items()}
    best = max(base.values())
    ok = answer >= best - 1e-12
    failed |= not ok
    rows.append((name, chose, f"{served}", f"{answer:.4f}", f"{trained} {trained_test:.4f}",
                 "  ".join(f"{k} {v:.4f}" for k, v in sorted(base.items())), ("PASS" if ok else "FAIL") + f"  {seconds} s"))
head = ("dataset", "auto chose", "answer", "answer test NDCG@10", "trained model test", "baselines test NDCG@10", "result")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)))
sys.exit(1 if failed else 0)
EOF
