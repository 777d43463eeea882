#!/usr/bin/python3
"""Loads a model folder with python/hybridrec/load.py and prints its predictions as JSON.

Usage: /usr/bin/python3 python/tests/check_scores.py MODEL_DIR [MODEL_DIR ...]
Each MODEL_DIR/pairs.json is {"pairs": [[user_index, item_index], ...]}. Prints one JSON
object {MODEL_DIR: {"type", "class", "user_ids", "item_ids", "predictions"}} where
predictions[k] is sigmoid(logit) of pairs[k]. Several folders per call because
importing torch dominates the run time. tests/model/test_python_loader.cpp compares
the predictions with the C++ Network::predict.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hybridrec.load import load_model, score  # noqa: E402


def check(model_dir):
    with open(os.path.join(model_dir, "pairs.json"), encoding="utf-8") as f:
        pairs = json.load(f)["pairs"]
    bundle = load_model(model_dir)
    model, user_ids, item_ids = bundle  # the documented unpacking
    by_user = {}
    for k, (u, i) in enumerate(pairs):
        by_user.setdefault(u, []).append((k, i))
    predictions = [None] * len(pairs)
    # One score() call per user: the serving-shaped API, not a per-pair loop.
    for u, entries in by_user.items():
        values = score(bundle, u, [i for _, i in entries]).tolist()
        for (k, _), v in zip(entries, values):
            predictions[k] = v
    return {"type": bundle.config["model"]["type"], "class": type(model).__name__, "user_ids": user_ids,
            "item_ids": item_ids, "predictions": predictions}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    json.dump({d: check(d) for d in sys.argv[1:]}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
