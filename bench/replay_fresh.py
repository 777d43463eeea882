#!/usr/bin/python3
"""Replay benchmark of fresh recommendations (issue #19) against a running `hybridrec serve`.

Protocol: MovieLens 100K, the default global temporal split (70/10/20 by time, the
cut rule of src/data/split.cpp: the cut is the timestamp at position
llround(share * n) of the time order; everything before goes to the earlier part).
Each family is trained on the training part (`hybridrec train`, defaults, settings
chosen on the validation part). The test part is then replayed in time order
against a real server on 127.0.0.1: before each test interaction (u, i, t) the
replay asks GET /v1/recommendations/u?k=10 and scores the answer against i (hit
rate@10 and NDCG@10 of the next item), then posts the interaction as a purchase
(with its own timestamp) before u's next request. It goes to the token-guarded
POST /v1/users/u/history, as a shop backend reports a purchase, not to
/v1/events: the item bought is usually not one the response showed, and
/v1/events only takes an event on an item of the signed response it names
(issue #17). Two servers per family:
  static  --history-max-events 0: answers from the training data alone (today's serving)
  fresh   --history-max-events 200: the online history folds in, purchases are excluded
"New users" are those with no training interaction (absent from training).

Static serving keeps no history, so nothing is posted to it.

Usage: bench/replay_fresh.py --bin build/hybridrec [--data ../shared/data/ml-100k]
       [--work DIR] [--families ease itemknn ials hybrid]
"""
import argparse
import http.client
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import time


def read_ml100k(path):
    rows = []
    with open(os.path.join(path, "u.data")) as f:
        for line in f:
            user, item, rating, ts = line.split("\t")
            rows.append((int(ts), user, item))
    return rows


def temporal_split(rows, train=0.7, val=0.1):
    """Indices of train and test rows, as src/data/split.cpp temporal() cuts them."""
    order = sorted(range(len(rows)), key=lambda k: rows[k][0])  # stable, like std::stable_sort
    n = len(rows)

    def cut(share):
        pos = int(math.floor(share * n + 0.5))
        return rows[order[pos]][0] if pos < n else float("inf")

    t1, t2 = cut(train), cut(train + val)
    train_rows = [k for k in range(n) if rows[k][0] < t1]
    test_rows = [k for k in order if rows[k][0] >= t2]  # in time order
    return train_rows, test_rows


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, binary, workspace, history_events, log):
        # Each run starts from an empty event log: no history from an earlier run.
        try:
            os.remove(os.path.join(workspace, "serving", "events.jsonl"))
        except FileNotFoundError:
            pass
        self.port = free_port()
        self.history = history_events > 0
        self.token = secrets.token_hex(16)
        self.proc = subprocess.Popen(
            [binary, "serve", "--workspace", workspace, "--port", str(self.port), "--poll-seconds", "0",
             "--threads", "4", "--history-max-events", str(history_events)],
            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=dict(os.environ, HYBRIDREC_HISTORY_TOKEN=self.token))
        for _ in range(600):
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request("GET", "/healthz")
                self.health = json.loads(self.conn.getresponse().read())
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("serve did not start, see " + log)

    def get(self, path):
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {path}: {r.status} {body[:200]}")
        return json.loads(body)

    def post(self, path, payload):
        self.conn.request("POST", path, body=json.dumps(payload),
                          headers={"Content-Type": "application/json", "Authorization": "Bearer " + self.token})
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"POST {path}: {r.status} {body[:200]}")
        return json.loads(body)

    def stop(self):
        self.conn.close()
        self.proc.terminate()
        self.proc.wait()


def replay(server, rows, test_rows, known_items):
    """Hit rate@10 and NDCG@10 of the next item, over every test interaction and over new users'."""
    sums = {"all": [0, 0.0, 0], "new": [0, 0.0, 0]}  # hits, ndcg, count
    served_by = {}
    for k in test_rows:
        ts, user, item = rows[k]
        answer = server.get(f"/v1/recommendations/{user}?k=10")
        served_by[answer["served_by"]] = served_by.get(answer["served_by"], 0) + 1
        ids = [x["item_id"] for x in answer["items"]]
        groups = ["all"] + (["new"] if user in replay.new_users else [])
        for g in groups:
            sums[g][2] += 1
            if item in ids:
                rank = ids.index(item)
                sums[g][0] += 1
                sums[g][1] += 1.0 / math.log2(rank + 2)
        if item in known_items and server.history:
            server.post(f"/v1/users/{user}/history", {"events": [{"type": "purchase", "item_id": item, "timestamp": ts}]})
    out = {g: {"hit_rate@10": s[0] / max(s[2], 1), "ndcg@10": s[1] / max(s[2], 1), "interactions": s[2]}
           for g, s in sums.items()}
    out["served_by"] = served_by
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(root, "build", "hybridrec"))
    p.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "ml-100k"))
    p.add_argument("--work", default="/dev/shm/hybridrec-replay" if os.path.isdir("/dev/shm") else "/tmp/hybridrec-replay")
    p.add_argument("--families", nargs="+", default=["ease", "itemknn", "ials", "hybrid"])
    p.add_argument("--limit", type=int, default=0, help="replay only the first N test interactions (0: all)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)

    rows = read_ml100k(args.data)
    train_rows, test_rows = temporal_split(rows)
    if args.limit:
        test_rows = test_rows[: args.limit]
    trained_users = {rows[k][1] for k in train_rows}
    replay.new_users = {rows[k][1] for k in test_rows} - trained_users
    new_interactions = sum(1 for k in test_rows if rows[k][1] in replay.new_users)
    print(f"ML-100K global temporal split: {len(train_rows)} train, {len(test_rows)} test interactions replayed "
          f"({new_interactions} by {len(replay.new_users)} users absent from training)")

    results = {}
    for family in args.families:
        ws, out = os.path.join(args.work, f"ws-{family}"), os.path.join(args.work, f"model-{family}")
        if not os.path.exists(os.path.join(out, "config.json")):
            t0 = time.time()
            subprocess.run([args.bin, "train", "--data", args.data, "--model", family, "--workspace", ws, "--out", out,
                            "--promote", "--quiet", "--set", "evaluation.baselines=[]"],
                           check=True, stdout=open(os.path.join(args.work, f"train-{family}.log"), "w"),
                           stderr=subprocess.STDOUT)
            print(f"  trained {family} in {time.time() - t0:.0f} s")
        known_items = set(json.load(open(os.path.join(out, "item_id_map.json"))))
        results[family] = {}
        for mode, history in (("static", 0), ("fresh", 200)):
            t0 = time.time()
            server = Server(args.bin, ws, history, os.path.join(args.work, f"serve-{family}-{mode}.log"))
            try:
                results[family][mode] = replay(server, rows, test_rows, known_items)
                results[family][mode]["fold_in"] = server.health["models"][0].get("fold_in")
            finally:
                server.stop()
            results[family][mode]["seconds"] = time.time() - t0

    print()
    print(f"{'family':8} {'serving':7} {'HR@10':>7} {'NDCG@10':>8} | {'new users HR@10':>15} {'NDCG@10':>8} | served_by")
    for family, modes in results.items():
        for mode in ("static", "fresh"):
            r = modes[mode]
            print(f"{family:8} {mode:7} {r['all']['hit_rate@10']:7.4f} {r['all']['ndcg@10']:8.4f} | "
                  f"{r['new']['hit_rate@10']:15.4f} {r['new']['ndcg@10']:8.4f} | "
                  + ", ".join(f"{k} {v}" for k, v in sorted(r["served_by"].items())))
        s, f = modes["static"]["new"]["ndcg@10"], modes["fresh"]["new"]["ndcg@10"]
        verdict = "fresh beats static" if f > s else "FRESH DOES NOT BEAT STATIC"
        print(f"{'':8} new users: NDCG@10 {s:.4f} -> {f:.4f} ({verdict}); fold-in kind: {modes['fresh']['fold_in']}")
    json.dump(results, open(os.path.join(args.work, "replay_results.json"), "w"), indent=1)
    if any(m["fresh"]["new"]["ndcg@10"] <= m["static"]["new"]["ndcg@10"] for m in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
