#!/usr/bin/env bash
# `hybridrec serve` under wrk on loopback, K=10, users drawn at random:
#   1. MovieLens 100K hybrid model (1,682 items), ranking cache on (the default)
#   2. the same with the cache off: every request scores the whole catalog
#   3. a generated 100k-item catalog, approximate candidate stage (auto: on), cache off
#   4. the same catalog scored exactly (--ann off), for the side-by-side ratio
#   5. fresh recommendations (issue #19): every request follows an event of the same
#      user (bench_serve_fresh: sessions of one user: an untimed first GET, then 4 x
#      { POST /v1/events on an item of the last response, with its signed request_id;
#      GET timed alone }; 1 in 4 users new), cache off, on ML-100K hybrid, ease and ials models, each served twice in
#      the same run: static (--history-max-events 0, today's serving) and fresh (the
#      online history folds in), alternating over ROUNDS; prints the p99 fold-in adds
#      and the throughput ratio (medians), and per run the share of responses each
#      serving path gave. Run twice: over every user of the id map plus new users
#      (the mix a shop sees), and over users with training interactions only, whom
#      both modes score, to isolate what fold-in adds to one scored request. Put
#      WORK_DIR on tmpfs (/dev/shm) to time serving rather than the event log's
#      fsync, which otherwise bounds the loop.
# plus the candidate stage's recall against exact scoring (bench_candidates).
# Usage: bench/run_serve_bench.sh [BUILD_DIR] [WORK_DIR]   (DURATION=15s CONNECTIONS=16 env;
#        CASES=fresh runs case 5 alone)
# PREVIOUS_BUILD=DIR runs cases 1-4 also on that build's binary, right after the
# same case on this one, and prints the throughput ratio: a regression check
# measured side by side on the same noisy machine. Each binary runs with its own
# default --threads.
# Targets on 2 cores: ML-100K >= 5,000 req/s and p99 < 10 ms; 100k items p99 < 50 ms.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
work="${2:-/tmp/hybridrec-serve-bench}"
bin="$build/hybridrec"
duration="${DURATION:-15s}"
connections="${CONNECTIONS:-16}"
ml100k="${HYBRIDREC_ML100K:-$root/../shared/data/ml-100k}"
mkdir -p "$work"
echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- models (kept between runs) ---------------------------------------------
if [ ! -f "$work/ml100k-ws/workspace.db" ]; then
  "$bin" train --data "$ml100k" --workspace "$work/ml100k-ws" --out "$work/ml100k-model" --promote --quiet \
    --set training.num_epochs=5 --set evaluation.baselines=[] > "$work/ml100k-train.log"
fi
for family in ease ials; do
  if [ ! -f "$work/ml100k-$family-ws/workspace.db" ]; then
    "$bin" train --data "$ml100k" --model "$family" --workspace "$work/ml100k-$family-ws" --out "$work/ml100k-$family-model" \
      --promote --quiet --set evaluation.baselines=[] > "$work/ml100k-$family-train.log"
  fi
done
cases="${CASES:-all}"
if [ "$cases" = all ] && [ ! -f "$work/big-ws/workspace.db" ]; then
  "$bin" generate --out "$work/big-shop" --users 3000 --items 100000 --interactions 300000 --seed 3 > /dev/null
  "$bin" train --data "$work/big-shop" --workspace "$work/big-ws" --out "$work/big-model" --promote --quiet \
    --set training.num_epochs=2 --set evaluation.validation_users=200 --set evaluation.baselines=[] \
    > "$work/big-train.log"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# measure BINARY NAME WORKSPACE USERS_FILE [serve options...]: prints one row, sets $rps
measure() {
  local binary="$1" name="$2" ws="$3" users="$4"; shift 4
  local port; port=$(free_port)
  "$binary" serve --workspace "$ws" --port "$port" --poll-seconds 0 "$@" > "$work/serve-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
  # warm-up: one pass over the users in the background-free path
  USERS_FILE="$users" wrk -t2 -c"$connections" -d3s -s "$root/bench/serve_users.lua" "http://127.0.0.1:$port" > /dev/null
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local out; out=$(USERS_FILE="$users" K=10 wrk -t2 -c"$connections" -d"$duration" --latency -s "$root/bench/serve_users.lua" "http://127.0.0.1:$port")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local p50 p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf "%-56s %10s req/s   p50 %8s   p99 %8s   load %s %s\n" "$name" "$rps" "$p50" "$p99" "$load" "$errors"
}

# run_case NAME WORKSPACE USERS_FILE [serve options...]
run_case() {
  local name="$1"; shift
  measure "$bin" "$name" "$@"
  if [ -n "${PREVIOUS_BUILD:-}" ]; then
    local current="$rps"
    measure "$PREVIOUS_BUILD/hybridrec" "  previous build: $name" "$@"
    awk -v a="$current" -v b="$rps" 'BEGIN { printf "  %-54s %10.2fx\n", "this build / previous build", a / b }'
  fi
}

python3 -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))))" "$work/ml100k-model/user_id_map.json" > "$work/ml100k-users.txt"
python3 "$root/bench/served_by_mix.py" --trained-users "$work/ml100k-model" > "$work/ml100k-trained-users.txt"
if [ "$cases" = all ]; then
python3 -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))))" "$work/big-model/user_id_map.json" > "$work/big-users.txt"

echo "wrk -t2 -c$connections -d$duration, K=10, random users, server and wrk on the same $(nproc) cores"
run_case "ml-100k (1,682 items), cache on" "$work/ml100k-ws" "$work/ml100k-users.txt"
run_case "ml-100k, cache off (score every request)" "$work/ml100k-ws" "$work/ml100k-users.txt" --cache-mb 0
run_case "100k items, candidate stage, cache off" "$work/big-ws" "$work/big-users.txt" --cache-mb 0
run_case "100k items, exact scoring, cache off" "$work/big-ws" "$work/big-users.txt" --cache-mb 0 --ann off
fi

# fresh_case NAME WORKSPACE USERS_FILE NEW_SHARE: the same model served static and
# fresh, cache off, alternating for ROUNDS rounds (default 3) so that a burst of
# load on a shared machine does not land on one mode only; the medians are
# compared. Each run also prints which path answered (/metrics' served_by counts):
# fresh serving sends users that static serving answers from the popularity list
# (new users, and users of the id map with no training interactions) through the
# model, and that share, not the fold-in itself, is most of what it costs a
# family whose catalogue pass is expensive.
fresh_case() {
  local name="$1" ws="$2" users="$3" new_share="$4" line
  local results="$work/fresh-${name// /-}.txt"
  : > "$results"
  for round in $(seq 1 "${ROUNDS:-3}"); do
    for mode in static fresh; do
      local port; port=$(free_port)
      rm -f "$ws/serving/events.jsonl"  # no history carried over from an earlier run
      local history=200; [ "$mode" = static ] && history=0
      "$bin" serve --workspace "$ws" --port "$port" --poll-seconds 0 --cache-mb 0 \
        --history-max-events "$history" > "$work/serve-fresh-$mode.log" 2>&1 &
      local pid=$!
      for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
      "$build/bench/bench_serve_fresh" --port "$port" --users "$users" --new-users "$new_share" \
        --threads "$connections" --seconds 3 > /dev/null || true  # warm-up (fills the histories too)
      local before; before=$(curl -sf "http://127.0.0.1:$port/metrics")
      line=$("$build/bench/bench_serve_fresh" --port "$port" --users "$users" --new-users "$new_share" \
        --threads "$connections" --seconds "${duration%s}")
      local paths; paths=$(python3 "$root/bench/served_by_mix.py" <(echo "$before") <(curl -sf "http://127.0.0.1:$port/metrics"))
      kill "$pid"; wait "$pid" 2>/dev/null || true
      printf "%-44s %s   load %s   %s\n" "$name, round $round, $mode" "$line" "$(cut -d' ' -f1 /proc/loadavg)" "$paths"
      echo "$mode $line" >> "$results"
    done
  done
  python3 - "$results" <<'PY'
import re, statistics, sys
runs = {"static": [], "fresh": []}
for line in open(sys.argv[1]):
    mode, rest = line.split(" ", 1)
    runs[mode].append({k: float(v) for k, v in re.findall(r"(p50|p99|GETs/s) ([0-9.]+)", rest)})
med = {m: {k: statistics.median(r[k] for r in rs) for k in ("p50", "p99", "GETs/s")} for m, rs in runs.items()}
s, f = med["static"], med["fresh"]
print(f"{'':44} medians: static p99 {s['p99']:.2f} ms, {s['GETs/s']:.0f} GETs/s; fresh p99 {f['p99']:.2f} ms, "
      f"{f['GETs/s']:.0f} GETs/s -> fold-in adds {f['p99'] - s['p99']:+.2f} ms at p99 (target <= 2 ms), "
      f"uncached throughput fresh/static {f['GETs/s'] / s['GETs/s']:.2f} (target >= 0.80)")
PY
}
echo
echo "every request follows an event of its user; GET timed alone; $connections client threads; cache off"
echo "all users of the id map (some without training interactions) and 1 in 4 sessions by a new user:"
fresh_case "ml-100k hybrid" "$work/ml100k-ws" "$work/ml100k-users.txt" 0.25
fresh_case "ml-100k ease" "$work/ml100k-ease-ws" "$work/ml100k-users.txt" 0.25
fresh_case "ml-100k ials" "$work/ml100k-ials-ws" "$work/ml100k-users.txt" 0.25
echo "users with training interactions only (both modes score every request: what fold-in adds to one):"
fresh_case "ml-100k hybrid, trained users" "$work/ml100k-ws" "$work/ml100k-trained-users.txt" 0
fresh_case "ml-100k ials, trained users" "$work/ml100k-ials-ws" "$work/ml100k-trained-users.txt" 0
if [ "$cases" = all ]; then
echo
"$build/bench/bench_candidates" --model "$work/big-ws/serving/models/$(ls "$work/big-ws/serving/models" | head -1)" \
  --candidates 100,300,1000 --users 300
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
