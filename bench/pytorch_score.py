"""PyTorch full-catalog scoring throughput (pairs/s) for the shapes of bench_score.

Naive: the whole network over every (user, item) pair of a block of users.
Split: the same split-layer algorithm as the C++ score_all (user and item halves of
mlp.0 computed once, the rest of the MLP per pair). 2 threads, no_grad, eval mode.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from hybridrec.models import NeuralCollaborativeFiltering  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=6040)
    ap.add_argument("--items", type=int, default=3706)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timed-users", type=int, default=512, help="users timed (throughput extrapolates)")
    ap.add_argument("--block", type=int, default=64, help="users per forward call")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = NeuralCollaborativeFiltering(args.users, args.items).eval()
    items = torch.arange(args.items)
    E = model.user_embedding.weight.shape[1]
    first = model.mlp[0]
    rest = model.mlp[1:]
    with torch.no_grad():
        # Naive: full network per pair.
        t0 = time.perf_counter()
        for start in range(0, args.timed_users, args.block):
            u = torch.arange(start, min(start + args.block, args.timed_users))
            uu = u.repeat_interleave(args.items)
            ii = items.repeat(len(u))
            torch.sigmoid(model(uu, ii))
        naive = args.timed_users * args.items / (time.perf_counter() - t0)
        # Split first layer.
        t0 = time.perf_counter()
        item_part = model.item_embedding.weight @ first.weight[:, E:].T  # [items, h1]
        for start in range(0, args.timed_users, args.block):
            u = torch.arange(start, min(start + args.block, args.timed_users))
            user_part = model.user_embedding(u) @ first.weight[:, :E].T + first.bias  # [b, h1]
            h = (user_part[:, None, :] + item_part[None, :, :]).reshape(-1, item_part.shape[1])
            torch.sigmoid(rest(h).squeeze(-1))
        split = args.timed_users * args.items / (time.perf_counter() - t0)
    print(f"torch_naive_pairs_per_s={naive:.0f}")
    print(f"torch_split_pairs_per_s={split:.0f}")


if __name__ == "__main__":
    main()
