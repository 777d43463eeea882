#!/usr/bin/env bash
# Batch recommendations for every user (`recommend --all-users`, blocks of users
# per score_all call over OpenMP threads) against what a user had to do before:
# one `recommend --user U` process per user (the 1,892-call xargs loop of issue
# #18), and, to separate process start-up from batching, one process with every
# user as a repeated --user (the sequential single-user path). Prints
# recommendations/s of each and the ratios, measured side by side in one run.
# Usage: bench/batch_recommend.sh [DATA] [BUILD_DIR] [LOOP_USERS] [MODEL]
#   DATA defaults to MovieLens 100K; LOOP_USERS (default 100) users time the
#   per-process loop (its rate is per user, so a sample suffices); MODEL hybrid.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/ml-100k}"
build="${2:-$root/build}"
loop_users="${3:-100}"
family="${4:-hybrid}"
k=10
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bin="$build/hybridrec"
now() { date +%s.%N; }

"$bin" train --data "$data" --model "$family" --out "$out/model" --no-track --quiet --set training.num_epochs=5 >/dev/null
users=$(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$out/model/user_id_map.json")
/usr/bin/python3 -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))))" "$out/model/user_id_map.json" > "$out/users.txt"
threads=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['training']['threads'])" "$out/model/config.json")

# Best of 3 for the two one-process ways (the machine is shared; the minimum is
# the least disturbed run), alternated so that both see the same moments.
mapfile -t all_ids < "$out/users.txt"
args=()
for u in "${all_ids[@]}"; do args+=(--user "$u"); done
batch_s=999999
one_process_s=999999
for rep in 1 2 3; do
  start=$(now)
  "$bin" recommend --model "$out/model" --all-users --k $k --quiet --out "$out/recs.csv"
  batch_s=$(echo "t = $(now) - $start; if (t < $batch_s) t else $batch_s" | bc -l)
  start=$(now)
  "$bin" recommend --model "$out/model" --k $k --json "${args[@]}" > "$out/one_process.json"
  one_process_s=$(echo "t = $(now) - $start; if (t < $one_process_s) t else $one_process_s" | bc -l)
done
rows=$(($(wc -l < "$out/recs.csv") - 1))

start=$(now)
head -n "$loop_users" "$out/users.txt" | while read -r u; do
  "$bin" recommend --model "$out/model" --user "$u" --k $k >/dev/null
done
loop_s=$(echo "$(now) - $start" | bc -l)

/usr/bin/python3 - "$users" "$rows" "$k" "$batch_s" "$one_process_s" "$loop_users" "$loop_s" "$threads" "$family" "$data" <<'PY'
import sys
users, rows, k = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
batch_s, one_s, loop_users, loop_s, threads = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
batch = rows / batch_s
one = users * k / one_s
loop = loop_users * k / loop_s
print(f"{sys.argv[9]} on {sys.argv[10]}: {users} users, top {k}; times include loading the model; one-process ways best of 3")
print(f"{'way':<44} {'seconds':>9} {'recs/s':>10} {'batch is':>9}")
print(f"{'recommend --all-users (' + threads + ' threads)':<44} {batch_s:9.2f} {batch:10.0f} {'':>9}")
print(f"{'one process, ' + str(users) + ' x --user':<44} {one_s:9.2f} {one:10.0f} {batch / one:8.1f}x")
print(f"{'a process per user (' + str(loop_users) + ' users timed)':<44} {loop_s:9.2f} {loop:10.0f} {batch / loop:8.1f}x")
print(f"all {users} users one process each would take {users / loop_users * loop_s:.1f} s")
PY
