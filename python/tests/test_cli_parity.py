"""The Python package and the CLI are one library: the same data, family and seed
train the same model, and a folder the CLI trained scores the same in Python."""
import json

import numpy as np

import hybridrec

SETTINGS = {"model.embedding_dim": 16, "model.hidden_layers": [32, 16], "model.content_dim": 16,
            "training.num_epochs": 2, "training.threads": 1}


def test_python_fit_equals_cli_train_for_the_same_seed(shop, cli, tmp_path):
    ratings, users, items = shop
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    users.to_csv(tmp_path / "users.csv", index=False)
    items.to_csv(tmp_path / "items.csv", index=False)
    sets = [a for k, v in SETTINGS.items() for a in ("--set", f"{k}={json.dumps(v)}")]
    cli("train", "--data", str(tmp_path / "ratings.csv"), "--users", str(tmp_path / "users.csv"),
        "--items", str(tmp_path / "items.csv"), "--model", "hybrid", "--seed", "11", "--no-track", "--quiet",
        "--out", str(tmp_path / "cli_model"), *sets)
    from_cli = hybridrec.Model.load(tmp_path / "cli_model")
    from_python = hybridrec.Model("hybrid", seed=11, **{k.replace(".", "__"): v for k, v in SETTINGS.items()}).fit(
        ratings, user_features=users, item_features=items)
    pairs_u = np.repeat(ratings.user_id.unique()[:15], 8)
    pairs_i = np.tile(items.item_id.to_numpy()[:8], 15)
    np.testing.assert_array_equal(from_python.score(pairs_u, pairs_i), from_cli.score(pairs_u, pairs_i))

    # The CLI's own recommend on its folder gives what Python gives on it.
    users_asked = [str(u) for u in ratings.user_id.unique()[:5]]
    answer = json.loads(cli("recommend", "--model", str(tmp_path / "cli_model"), "--k", "5", "--json",
                            *[a for u in users_asked for a in ("--user", u)]))
    ids, scores = from_cli.recommend([int(u) for u in users_asked], n=5)
    # One user per matrix product in the CLI, a block of five here: equal up to float rounding.
    for row, got_ids, got_scores in zip(answer, ids, scores):
        assert [int(x["item_id"]) for x in row["items"]] == list(got_ids)
        np.testing.assert_allclose([x["score"] for x in row["items"]], got_scores, rtol=1e-5, atol=1e-6)

    # Batch output of the CLI: the same lists, with the item table's names.
    cli("recommend", "--model", str(tmp_path / "cli_model"), "--all-users", "--k", "5", "--quiet",
        "--out", str(tmp_path / "recs.csv"))
    import pandas as pd
    recs = pd.read_csv(tmp_path / "recs.csv")
    assert list(recs.columns) == ["user_id", "rank", "item_id", "item_name", "score", "served_by"]
    assert len(recs) == 5 * ratings.user_id.nunique()
    first = recs[recs.user_id == int(users_asked[0])].sort_values("rank")
    assert list(first.item_id) == list(ids[0])
    names = dict(zip(items.item_id, items.name))
    assert list(first.item_name) == [names[i] for i in first.item_id]  # names with commas survive the CSV
