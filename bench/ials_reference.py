#!/usr/bin/python3
"""One epoch of iALS in numpy beside hybridrec's `ials`, same data, same start.

Runs `bench_closed_form ials --dump DIR` (a generated shop of MovieLens 1M's size:
6040 users x 3706 items, ~1M interactions), which times hybridrec's epochs (exact
cholesky and conjugate-gradient solvers) and writes the matrix, its initial
factors and its factors after one cholesky epoch. Then runs the same epoch here
(the normal equations of Rendle et al. 2022's objective, one np.linalg.solve per
row, the Gram matrix precomputed), checks the factors agree, and prints seconds
per epoch for both and the ratio.

  OMP_NUM_THREADS=2 /usr/bin/python3 bench/ials_reference.py --bench build/bench/bench_closed_form
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))


def half_step(rows, fixed, reg, alpha0, alpha):
    """Solves every row of `rows` (CSR of weights) against the fixed factors."""
    d = fixed.shape[1]
    gram = alpha0 * (fixed.T @ fixed)
    eye = np.eye(d, dtype=fixed.dtype)
    out = np.zeros((rows.shape[0], d), dtype=fixed.dtype)
    other = fixed.shape[0]
    for r in range(rows.shape[0]):
        s, e = rows.indptr[r], rows.indptr[r + 1]
        if s == e:
            continue  # no observation: the minimiser is 0
        y = fixed[rows.indices[s:e]]
        c = (1.0 + alpha * rows.data[s:e]).astype(fixed.dtype)
        a = gram + (y.T * c) @ y + (reg * ((e - s) + alpha0 * other)) * eye
        out[r] = np.linalg.solve(a, y.T @ c)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "bench_closed_form"))
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--interactions", type=int, default=1000000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as dump:
        out = subprocess.run([args.bench, "ials", "--dump", dump, "--factors", str(args.factors),
                              "--threads", str(args.threads), "--interactions", str(args.interactions)],
                             check=True, capture_output=True, text=True).stdout
        ours = json.loads(out.strip().splitlines()[-1])
        users, items, d = ours["users"], ours["items"], args.factors
        cfg = ours["config"]
        load = lambda name, dtype: np.fromfile(os.path.join(dump, name), dtype=dtype)
        x = sp.csr_matrix((load("values.f32", np.float32), (load("rows.i32", np.int32), load("cols.i32", np.int32))),
                          shape=(users, items))
        xt = x.T.tocsr()
        user_init = load("user_init.f32", np.float32).reshape(users, d)
        item_init = load("item_init.f32", np.float32).reshape(items, d)
        start = time.perf_counter()
        w = half_step(x, item_init, cfg["regularization"], cfg["unobserved_weight"], cfg["alpha"])
        h = half_step(xt, w, cfg["regularization"], cfg["unobserved_weight"], cfg["alpha"])
        numpy_seconds = time.perf_counter() - start
        cw = load("user_epoch1.f32", np.float32).reshape(users, d)
        ch = load("item_epoch1.f32", np.float32).reshape(items, d)
        # The user step is one linear solve from the same start: agreement to float
        # precision. The item step solves against those user factors.
        du = np.abs(w - cw).max() / np.abs(w).max()
        di = np.abs(h - ch).max() / np.abs(h).max()

        print(f"generated shop {users} users x {items} items, {x.nnz} positives, {d} factors, "
              f"hybridrec {args.threads} threads, numpy BLAS threads {os.environ.get('OMP_NUM_THREADS', 'default')}")
        print(f"factors after one epoch, largest difference / largest value: users {du:.2e}, items {di:.2e}")
        print(f"{'implementation':<34}{'seconds/epoch':>14}{'numpy / it':>12}")
        print(f"{'numpy (np.linalg.solve per row)':<34}{numpy_seconds:>14.3f}{1.0:>12.1f}")
        for solver in ("cholesky", "cg"):
            t = ours[f"seconds_per_epoch_{solver}"]
            label = f"hybridrec {solver}" + (" (3 CG steps)" if solver == "cg" else " (exact)")
            print(f"{label:<34}{t:>14.3f}{numpy_seconds / t:>12.1f}")
        return 0 if max(du, di) < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
