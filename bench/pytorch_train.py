"""PyTorch training throughput on the exact batches bench_train wrote.

Usage: /usr/bin/python3 bench/pytorch_train.py SAMPLES --model ncf|hybrid [--steps N --warmup W]
Uses the reference classes of python/hybridrec/models.py, torch.optim.Adam and the
specification's MSE on sigmoid(logit), 2 threads. Prints torch_samples_per_s=...
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from hybridrec.models import HybridRecommender, NeuralCollaborativeFiltering, compute_loss  # noqa: E402


def read_samples(path):
    """The layout of write_samples() in bench/bench_train.cpp."""
    raw = open(path, "rb").read()
    head = np.frombuffer(raw, dtype="<i8", count=7)
    users, items, n, ud, idim, nuc, nic = (int(x) for x in head)
    cards = np.frombuffer(raw, dtype="<i8", count=nuc + nic, offset=7 * 8)
    off = (7 + nuc + nic) * 8

    def take(dtype, count):
        nonlocal off
        arr = np.frombuffer(raw, dtype=dtype, count=count, offset=off)
        off += arr.nbytes
        return arr

    data = {
        "num_users": users, "num_items": items,
        "users": take("<u4", n).astype(np.int64), "items": take("<u4", n).astype(np.int64),
        "labels": take("<f4", n),
        "user_dense": take("<f4", users * ud).reshape(users, ud),
        "user_cats": take("<i4", users * nuc).reshape(users, nuc).astype(np.int64),
        "item_dense": take("<f4", items * idim).reshape(items, idim),
        "item_cats": take("<i4", items * nic).reshape(items, nic).astype(np.int64),
        "user_cards": [int(c) for c in cards[:nuc]], "item_cards": [int(c) for c in cards[nuc:]],
    }
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples")
    ap.add_argument("--model", default="ncf")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    d = read_samples(args.samples)
    if args.model == "ncf":
        model = NeuralCollaborativeFiltering(d["num_users"], d["num_items"])
    else:
        model = HybridRecommender(d["num_users"], d["num_items"], d["user_dense"].shape[1], d["item_dense"].shape[1],
                                  d["user_cards"], d["item_cards"])
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-5)
    users = torch.from_numpy(d["users"])
    items = torch.from_numpy(d["items"])
    labels = torch.from_numpy(d["labels"].copy())
    user_dense = torch.from_numpy(d["user_dense"].copy())
    user_cats = torch.from_numpy(d["user_cats"])
    item_dense = torch.from_numpy(d["item_dense"].copy())
    item_cats = torch.from_numpy(d["item_cats"])
    B = args.batch
    needed = (args.warmup + args.steps) * B
    if users.numel() < needed:
        sys.exit(f"sample file holds {users.numel()} samples, need {needed}")

    def step(s):
        sl = slice(s * B, (s + 1) * B)
        u, i = users[sl], items[sl]
        # The feature lookup is part of the training step, as it is in the C++ engine.
        if args.model == "ncf":
            logits = model(u, i)
        else:
            logits = model(u, i, user_dense[u], user_cats[u], item_dense[i], item_cats[i])
        loss = compute_loss("mse", logits, labels[sl])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for s in range(args.warmup):
        step(s)
    t0 = time.perf_counter()
    for s in range(args.warmup, args.warmup + args.steps):
        last = step(s)
    seconds = time.perf_counter() - t0
    print(f"torch {torch.__version__} model={args.model} threads={torch.get_num_threads()} final_loss={last.item():.4f}")
    print(f"torch_samples_per_s={args.steps * B / seconds:.0f}")
    print(f"torch_step_ms={1e3 * seconds / args.steps:.4f}")


if __name__ == "__main__":
    main()
