#!/usr/bin/env python3
"""Optuna's TPE sampler (default settings) on Branin and Hartmann-6, in the same
format as build/bench/bench_tune_functions: name, strategy, median best over
seeds, seconds, best per seed. Usage: optuna_tpe.py [seeds=10] [evaluations=20]"""
import math
import statistics
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(x1, x2):
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i in range(4))


PROBLEMS = {
    "branin": lambda t: branin(t.suggest_float("x0", -5, 10), t.suggest_float("x1", 0, 15)),
    "hartmann6": lambda t: hartmann6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)]),
}


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    evaluations = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    for name, objective in PROBLEMS.items():
        t0 = time.time()
        bests = []
        for s in range(seeds):
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1000 + s), direction="minimize")
            study.optimize(objective, n_trials=evaluations)
            bests.append(study.best_value)
        print(f"{name} tpe {statistics.median(bests):.6f} {time.time() - t0:.3f} " + " ".join(f"{b:.6f}" for b in bests))


if __name__ == "__main__":
    main()
