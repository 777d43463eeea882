"""Shared fixtures of the Python package's tests: a small synthetic shop with
structure the models can learn (each age group prefers one category), and the
CLI binary of this build tree (HYBRIDREC_BINARY, set by ctest)."""
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_shop(users=120, items=60, per_user=18, seed=0):
    rng = np.random.default_rng(seed)
    groups = ["18-24", "25-34", "35-44"]
    categories = ["books", "garden", "games"]
    user_group = rng.integers(0, 3, users)
    item_category = np.arange(items) % 3
    rows = []
    t = 1_600_000_000
    for u in range(users):
        liked = np.flatnonzero(item_category == user_group[u])
        other = np.flatnonzero(item_category != user_group[u])
        picks = np.concatenate([rng.choice(liked, per_user * 2 // 3, replace=False),
                                rng.choice(other, per_user // 3, replace=False)])
        for i in picks:
            t += int(rng.integers(1, 600))
            rows.append((1000 + u, 5000 + int(i), float(rng.integers(3, 6) if item_category[i] == user_group[u]
                                                         else rng.integers(1, 4)), t))
    ratings = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    users_df = pd.DataFrame({"user_id": 1000 + np.arange(users), "age_group": [groups[g] for g in user_group],
                             "location": np.where(np.arange(users) % 2 == 0, "urban", "rural")})
    items_df = pd.DataFrame({"item_id": 5000 + np.arange(items), "category": [categories[c] for c in item_category],
                             "name": [f"Item number {i}, the {categories[c]} one" for i, c in
                                      enumerate(item_category)]})
    return ratings, users_df, items_df


@pytest.fixture(scope="session")
def shop():
    return make_shop()


@pytest.fixture(scope="session")
def cli():
    binary = os.environ.get("HYBRIDREC_BINARY", os.path.join(ROOT, "build", "hybridrec"))
    if not os.path.exists(binary):
        pytest.fail(f"the hybridrec CLI is not built at {binary}")

    def run(*args):
        done = subprocess.run([binary, *args], capture_output=True, text=True)
        assert done.returncode == 0, f"hybridrec {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout
    return run
