#!/usr/bin/python3
"""Popularity baseline P@K and NDCG@K in a few lines of numpy, on a supplied split
(MovieLens 100K's u1.base / u1.test): the outside reference for hybridrec's
`train --model popularity --split files --train u1.base.xz --test u1.test.xz`.

Protocol of docs/metrics.md: items ranked by training interaction count, each
user's training items removed, relevant = the user's test items not in training,
users with nothing relevant left out, ties broken by the lower item index (the
order in which items first appear in the training file, then the test file).

Usage: popularity_reference.py TRAIN TEST [K]   (files may be .xz / .gz; prints JSON)
"""
import gzip, json, lzma, sys
import numpy as np


def read(path):
    opener = lzma.open if path.endswith(".xz") else gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return [line.split("\t")[:2] for line in f if line.strip()]


train, test = read(sys.argv[1]), read(sys.argv[2])
k = int(sys.argv[3]) if len(sys.argv) > 3 else 10
items = {}
for _, i in train + test:
    items.setdefault(i, len(items))
popularity = np.zeros(len(items))
np.add.at(popularity, [items[i] for _, i in train], 1.0)
seen, relevant = {}, {}
for u, i in train:
    seen.setdefault(u, set()).add(items[i])
for u, i in test:
    if items[i] not in seen.get(u, set()):
        relevant.setdefault(u, set()).add(items[i])
order = np.lexsort((np.arange(len(items)), -popularity))  # count descending, then index
discount = 1.0 / np.log2(np.arange(2, k + 2))
precision, ndcg = [], []
for u, rel in relevant.items():
    top = [j for j in order[: k + len(seen.get(u, ()))] if j not in seen.get(u, set())][:k]
    hits = np.array([j in rel for j in top], dtype=float)
    precision.append(hits.sum() / k)
    ndcg.append((hits * discount[: len(hits)]).sum() / discount[: min(k, len(rel))].sum())
print(json.dumps({"users": len(relevant), f"precision@{k}": float(np.mean(precision)), f"ndcg@{k}": float(np.mean(ndcg))}))
