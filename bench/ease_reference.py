#!/usr/bin/python3
"""EASE (Steck 2019) in numpy/scipy beside hybridrec's `ease`, on the same split.

Reads MovieLens 100K's u1.base/u1.test (xz-compressed in the shared data folder,
decompressed to a temporary folder here), fits EASE with the given lambda, ranks the
full catalogue for every test user with training items excluded, and prints
NDCG/P/R/MAP@10. Then runs `bench_closed_form ease` (hybridrec) on the same files and
lambda and prints both; exits 1 when NDCG@10 differs by more than 0.005.

  /usr/bin/python3 bench/ease_reference.py --bench build/bench/bench_closed_form [--lambda 50 200]
"""
import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))


def read_pairs(path):
    data = np.loadtxt(path, dtype=np.int64, usecols=(0, 1))
    return data[:, 0] - 1, data[:, 1] - 1  # ids 1.. -> indices 0.., as the C++ bench


def ease_weights(x, lam):
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = p / (-np.diag(p))  # column j divided by -P_jj
    b[np.diag_indices_from(b)] = 0.0
    return b


def metrics_at_k(scores, x, test_items_of, k):
    scores = scores.copy()
    rows, cols = x.nonzero()
    scores[rows, cols] = -np.inf  # training items are not recommended
    ndcg = prec = rec = ap = 0.0
    users = 0
    for u, relevant in enumerate(test_items_of):
        if not relevant:
            continue
        # Stable sort of -score: ties go to the lower item index, as hybridrec's top_k.
        ranked = np.argsort(-scores[u], kind="stable")[:k]
        hits = np.array([1.0 if i in relevant else 0.0 for i in ranked])
        n_rel = len(relevant)
        discounts = 1.0 / np.log2(np.arange(2, k + 2))
        ndcg += (hits * discounts).sum() / discounts[: min(k, n_rel)].sum()
        prec += hits.sum() / k
        rec += hits.sum() / n_rel
        precision_at_hits = np.cumsum(hits) / np.arange(1, k + 1)
        ap += (precision_at_hits * hits).sum() / min(k, n_rel)
        users += 1
    return {f"ndcg@{k}": ndcg / users, f"precision@{k}": prec / users, f"recall@{k}": rec / users,
            f"map@{k}": ap / users, "evaluated_users": users}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "bench_closed_form"))
    parser.add_argument("--splits", default=os.path.join(HERE, "..", "..", "shared", "data", "ml-100k", "splits"))
    parser.add_argument("--split", default="u1")
    parser.add_argument("--lambda", dest="lambdas", type=float, nargs="+", default=[50.0, 200.0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for part in ("base", "test"):
            paths[part] = os.path.join(tmp, f"{args.split}.{part}")
            with lzma.open(os.path.join(args.splits, f"{args.split}.{part}.xz"), "rb") as src, open(paths[part], "wb") as dst:
                dst.write(src.read())
        tu, ti = read_pairs(paths["base"])
        eu, ei = read_pairs(paths["test"])
        n_users, n_items = int(max(tu.max(), eu.max()) + 1), int(max(ti.max(), ei.max()) + 1)
        x = sp.csr_matrix((np.ones(len(tu)), (tu, ti)), shape=(n_users, n_items))
        x.data[:] = 1.0  # duplicates (none in MovieLens) would count once
        test_items_of = [set() for _ in range(n_users)]
        for u, i in zip(eu, ei):
            test_items_of[u].add(int(i))

        worst = 0.0
        print(f"MovieLens 100K {args.split}.base -> {args.split}.test: {n_users} users x {n_items} items, "
              f"{x.nnz} training pairs; full-catalogue ranking, training items excluded")
        for lam in args.lambdas:
            start, cpu_start = time.perf_counter(), time.process_time()
            b = ease_weights(x, lam)
            fit_seconds, fit_cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
            ref = metrics_at_k(np.asarray(x @ b), x, test_items_of, args.k)
            ref["fit_seconds"], ref["fit_cpu_seconds"] = fit_seconds, fit_cpu_seconds
            out = subprocess.run([args.bench, "ease", "--train", paths["base"], "--test", paths["test"],
                                  "--lambda", str(lam), "--threads", str(args.threads), "--k", str(args.k)],
                                 check=True, capture_output=True, text=True).stdout
            ours = json.loads(out.strip().splitlines()[-1])
            print(f"\nlambda = {lam:g}")
            print(f"{'metric':<14}{'numpy/scipy':>14}{'hybridrec':>14}{'difference':>14}")
            for name in (f"ndcg@{args.k}", f"precision@{args.k}", f"recall@{args.k}", f"map@{args.k}"):
                print(f"{name:<14}{ref[name]:>14.5f}{ours[name]:>14.5f}{ours[name] - ref[name]:>14.5f}")
            print(f"{'users':<14}{ref['evaluated_users']:>14}{ours['evaluated_users']:>14}")
            print(f"{'fit seconds':<14}{ref['fit_seconds']:>14.3f}{ours['fit_seconds']:>14.3f}"
                  f"   (numpy inv, {os.environ.get('OMP_NUM_THREADS', 'default')} BLAS threads; hybridrec {args.threads} threads)")
            print(f"{'fit CPU secs':<14}{ref['fit_cpu_seconds']:>14.3f}{ours['fit_cpu_seconds']:>14.3f}"
                  f"   (all threads; on a shared machine wall time also counts waiting for a core)")
            worst = max(worst, abs(ours[f"ndcg@{args.k}"] - ref[f"ndcg@{args.k}"]))
        ok = worst <= 0.005
        print(f"\nlargest NDCG@{args.k} difference {worst:.5f}: {'agree' if ok else 'DISAGREE'} (tolerance 0.005)")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
