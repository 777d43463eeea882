#!/usr/bin/python3
"""Outside reference for bench/replay_fresh.py: the fresh-serving replay of an `ease`
model computed offline in numpy, without the server or the C++ scoring code.

From the trained folder it takes only the inputs: the training matrix X (the
"history" tensors of model.safetensors, weighted as training weighted them), the
chosen lambda, the popularity order and the id maps. It then solves EASE itself
(B = -P / diag(P), P = (X^T X + lambda I)^-1, zero diagonal, in float64) and replays
the same ML-100K temporal test part: before each interaction the user's top 10 is
the history vector (training row plus the user's newest --history-max-events
earlier test interactions, posted as purchases of weight 1, as the server bounds
its online history; a pair in both keeps the larger weight) times B, training
items and those purchases excluded, ties to the lower item index; a user with
neither training rows nor online events gets popularity. Prints hit rate@10 and
NDCG@10 over every test interaction and over users absent from training.

Usage: bench/replay_reference.py --model DIR [--data ../shared/data/ml-100k]
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_fresh import read_ml100k, temporal_split  # noqa: E402  (the same split code)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=np.float32).reshape(spec["shape"])
    return out, header.get("__metadata__", {})


def top10(scores, exclude):
    s = scores.astype(np.float64).copy()
    if exclude:
        s[list(exclude)] = -np.inf
    order = np.lexsort((np.arange(len(s)), -s))  # score descending, then lower index
    return [int(i) for i in order[:10] if np.isfinite(s[i])]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "ml-100k"))
    p.add_argument("--history-max-events", type=int, default=200)
    args = p.parse_args()

    tensors, meta = read_safetensors(os.path.join(args.model, "model.safetensors"))
    serving, _ = read_safetensors(os.path.join(args.model, "serving.safetensors"))
    users = json.load(open(os.path.join(args.model, "user_id_map.json")))
    items = json.load(open(os.path.join(args.model, "item_id_map.json")))
    user_index, item_index = {u: k for k, u in enumerate(users)}, {i: k for k, i in enumerate(items)}
    n = len(items)
    counts = tensors["history.row_counts"].astype(np.int64)
    cols = tensors["history.indices"].astype(np.int64)
    vals = tensors["history.values"].astype(np.float64)
    x = np.zeros((len(users), n))
    start = 0
    for u, c in enumerate(counts):
        x[u, cols[start:start + c]] = vals[start:start + c]
        start += c
    lam = float(meta["lambda"])
    g = x.T @ x + lam * np.eye(n)
    pinv = np.linalg.inv(g)
    b = -pinv / np.diag(pinv)[None, :]
    np.fill_diagonal(b, 0.0)
    popularity = serving["popularity"].astype(np.float64)

    rows = read_ml100k(args.data)
    train_rows, test_rows = temporal_split(rows)
    trained = {rows[k][1] for k in train_rows}
    online = {}  # user -> {item index: weight}, oldest first (dicts keep insertion order)
    sums = {"all": [0, 0.0, 0], "new": [0, 0.0, 0]}
    for k in test_rows:
        _, user, item = rows[k]
        u = user_index.get(user)
        history = dict(online.get(user, {}))
        train_items = set()
        if u is not None:
            train_items = set(np.nonzero(x[u])[0].tolist())
            for j in train_items:
                history[j] = max(history.get(j, 0.0), x[u, j])
        if history:
            vec = np.zeros(n)
            for j, w in history.items():
                vec[j] = w
            ranked = top10(vec @ b, train_items | set(online.get(user, {})))
        else:
            ranked = top10(popularity, train_items)
        target = item_index.get(item)
        for group in ["all"] + (["new"] if user not in trained else []):
            sums[group][2] += 1
            if target in ranked:
                sums[group][0] += 1
                sums[group][1] += 1.0 / math.log2(ranked.index(target) + 2)
        if target is not None:
            events = online.setdefault(user, {})
            events.pop(target, None)
            events[target] = 1.0
            while len(events) > args.history_max_events:  # the oldest event falls out
                del events[next(iter(events))]
    for group, (hits, ndcg, count) in sums.items():
        print(f"numpy reference, ease fresh, {group:3} users: HR@10 {hits / count:.4f}  NDCG@10 {ndcg / count:.4f}  "
              f"({count} interactions)")


if __name__ == "__main__":
    main()
