"""hybridrec.Model over the C++ library: fit -> recommend -> save -> load, the
DataFrame and scipy inputs, cold users, filtering, errors, the GIL, evaluate."""
import os
import threading
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import hybridrec

SMALL_NETWORK = dict(embedding_dim=16, hidden_layers=[32, 16], content_dim=16, num_epochs=3, threads=1, seed=7)


@pytest.fixture(scope="module")
def hybrid(shop):
    ratings, users, items = shop
    return hybridrec.Model("hybrid", **SMALL_NETWORK).fit(ratings, user_features=users, item_features=items)


def test_import_needs_no_path_tricks():
    # ctest puts this build tree first; the installed .pth (scripts/install-python.sh) serves plain python3.
    assert hasattr(hybridrec, "Model") and "hybrid" in hybridrec.model_families()


def test_fit_recommend_save_load_round_trip(hybrid, shop, tmp_path):
    ratings, _, _ = shop
    users = [1000, 1001, 1002, 1050]
    ids, scores = hybrid.recommend(users, n=10)
    assert ids.shape == (4, 10) and scores.shape == (4, 10)
    assert ids.dtype == np.int64 and set(ids.ravel()) <= set(ratings.item_id)  # integer ids come back as integers
    assert np.all(np.diff(scores, axis=1) <= 0) and np.all((scores >= 0) & (scores <= 1))
    hybrid.save(tmp_path / "model")
    for name in ("model.safetensors", "config.json", "user_id_map.json", "item_id_map.json", "serving.safetensors",
                 "metrics.json"):
        assert (tmp_path / "model" / name).exists(), name
    again = hybridrec.Model.load(tmp_path / "model")
    assert again.family == "hybrid"
    ids2, scores2 = again.recommend(users, n=10)
    np.testing.assert_array_equal(ids, ids2)
    np.testing.assert_array_equal(scores, scores2)
    # score() gives the scores recommend() ranks by.
    np.testing.assert_allclose(again.score([1050] * 10, ids[3]), scores[3], rtol=1e-5, atol=1e-6)
    one_ids, one_scores = again.recommend(1050, n=10)  # one user: 1-D arrays
    np.testing.assert_array_equal(one_ids, ids[3])


def test_dataframe_and_scipy_inputs_train_the_same_model(shop):
    ratings, _, _ = shop
    frame = ratings[["user_id", "item_id"]].copy()
    users, user_index = np.unique(frame.user_id, return_inverse=True)
    items, item_index = np.unique(frame.item_id, return_inverse=True)
    confidence = 1.0 + (ratings.rating.to_numpy() >= 4)
    matrix = sp.csr_matrix((confidence, (user_index, item_index)), shape=(len(users), len(items)))
    from_matrix = hybridrec.Model("ease", seed=3).fit(matrix)
    # The matrix's rows and columns are the ids; the same triples as a DataFrame.
    coo = matrix.tocoo()
    triples = pd.DataFrame({"user_id": coo.row, "item_id": coo.col, "weight": coo.data})
    from_frame = hybridrec.Model("ease", seed=3, split="user_random", weight_transform="raw").fit(triples)
    assert from_matrix.config["data"]["weight_transform"] == "raw"
    ids_m, scores_m = from_matrix.recommend(np.arange(20), n=5)
    ids_f, scores_f = from_frame.recommend(np.arange(20), n=5)
    np.testing.assert_array_equal(ids_m, ids_f)
    np.testing.assert_allclose(scores_m, scores_f, rtol=1e-6)
    assert ids_m.dtype == np.int64 and ids_m.max() < len(items)
    # A frame with other column names, named in `columns`.
    renamed = ratings.rename(columns={"user_id": "customer", "item_id": "sku"})
    model = hybridrec.Model("itemknn").fit(renamed, columns={"user": "customer", "item": "sku"})
    assert len(model.user_ids) == ratings.user_id.nunique()


def test_cold_users_are_scored_from_attributes(hybrid, shop):
    _, users, _ = shop
    assert 99999 not in set(users.user_id)
    young = {"age_group": "18-24", "location": "urban"}
    older = {"age_group": "35-44", "location": "rural"}
    ids, scores, routes = hybrid.recommend([99999, 99998, 99997], n=10, return_routes=True,
                                           user_attributes=[young, older, {}])
    assert routes[0] in ("content", "popularity") and routes[2] == "popularity"
    if routes[0] == "content":  # the validation part chose the content path (model.cold_user_path auto)
        assert not np.array_equal(ids[0], ids[1]), "different attributes must change a content-path list"
    # Popularity fallback scores are on the model's 0-1 scale: the most popular item scores 1.
    assert scores[2][0] == pytest.approx(1.0) and np.all(scores[2] <= 1.0)
    # A DataFrame of attributes indexed by user id works the same.
    frame = pd.DataFrame([young, older], index=[99999, 99998])
    ids_f, _ = hybrid.recommend([99999, 99998], n=10, user_attributes=frame)
    np.testing.assert_array_equal(ids_f, ids[:2])


def test_cold_path_changes_with_attributes_when_content_is_forced(shop):
    ratings, users, items = shop
    model = hybridrec.Model("hybrid", cold_user_path="content", **SMALL_NETWORK).fit(
        ratings, user_features=users, item_features=items)
    young = {"age_group": "18-24", "location": "urban"}
    older = {"age_group": "35-44", "location": "rural"}
    (a, b), _, routes = model.recommend(["new-1", "new-2"], n=10, user_attributes=[young, older],
                                        return_routes=True)
    assert routes == ["content", "content"]
    assert not np.array_equal(a, b)


def test_filter_already_liked_items(shop):
    ratings, _, _ = shop
    model = hybridrec.Model("ease", seed=3).fit(ratings)
    users = list(ratings.user_id.unique()[:30])
    filtered, _ = model.recommend(users, n=10)
    unfiltered, _ = model.recommend(users, n=10, filter_already_liked_items=False)
    overlap = 0
    for u, f, a in zip(users, filtered, unfiltered):
        seen = set(model.user_items(u))
        assert seen, "every user here has training items"
        assert not seen & set(f), f"user {u} got an item they already have"
        overlap += len(seen & set(a))
    assert overlap > 0, "without the filter EASE ranks some training items on top"


def test_similar_items(hybrid, shop):
    ratings, _, items = shop
    ids, scores = hybrid.similar_items([5000, 5001], n=5)  # the network's item vectors
    assert ids.shape == (2, 5) and 5000 not in ids[0] and np.all(np.diff(scores, axis=1) <= 0)
    with pytest.raises(KeyError, match="unknown item"):
        hybrid.similar_items(123456)
    # A learned item-item similarity finds the shop's structure: items of one
    # category are bought by the same users.
    knn = hybridrec.Model("itemknn", neighbors=20).fit(ratings)
    category = dict(zip(items.item_id, items.category))
    ids, _ = knn.similar_items(items.item_id.to_numpy()[:10], n=5)
    same = np.mean([[category[j] == category[i] for j in row] for i, row in zip(items.item_id[:10], ids)])
    assert same >= 0.8, f"share of neighbours in the same category: {same}"


def test_errors_carry_the_cpp_message(tmp_path, shop):
    with pytest.raises(hybridrec.ConfigError, match="unknown setting 'no_such_setting'"):
        hybridrec.Model("hybrid", no_such_setting=1)
    with pytest.raises(ValueError, match="known|unknown model|family"):  # from make_model's table
        hybridrec.Model("no-such-family").fit(shop[0])
    with pytest.raises(hybridrec.Error, match="model folder not found: .*nowhere"):
        hybridrec.Model.load(tmp_path / "nowhere")
    bad = shop[0].copy()
    bad.loc[3, "rating"] = "lots"
    with pytest.raises(hybridrec.DataError, match="rating"):
        hybridrec.Model("popularity").fit(bad)


def test_fit_releases_the_gil(shop):
    ratings, users, _ = shop
    model = hybridrec.Model("hybrid", **SMALL_NETWORK)
    ticks = 0
    done = threading.Event()
    worker = threading.Thread(target=lambda: (model.fit(ratings, user_features=users), done.set()))
    start = time.monotonic()
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        ticks += 1  # Python code: it runs only while fit() has let go of the GIL
    seconds = time.monotonic() - start
    worker.join()
    # A fit holding the GIL would leave this thread a step or two, however long it took.
    assert seconds < 0.05 or ticks >= 10, f"the main thread ran {ticks} steps during {seconds:.2f} s of fit"


def test_evaluate_returns_the_metrics(hybrid):
    result = hybrid.evaluate()
    assert 0.0 <= result["ranking"]["ndcg@10"] <= 1.0
    # The same part and model as the training run's own test evaluation.
    recorded = hybrid.metrics["metrics"]["ranking"]["ndcg@10"]
    assert result["ranking"]["ndcg@10"] == pytest.approx(recorded, abs=1e-9)
    validation = hybrid.evaluate(part="validation", k=[5])
    assert "ndcg@5" in validation["ranking"]


def test_weights_load_into_the_specifications_pytorch_class(hybrid, tmp_path):
    torch = pytest.importorskip("torch") if os.environ.get("CI") != "true" else __import__("torch")
    hybrid.save(tmp_path / "m")
    bundle = hybridrec.load_model(str(tmp_path / "m"))
    assert type(bundle.model).__name__ == "HybridRecommender"
    user = bundle.user_index["1000"]
    items = [bundle.item_index[str(i)] for i in (5000, 5001, 5002, 5003)]
    expected = hybrid.score([1000] * 4, [5000, 5001, 5002, 5003])
    np.testing.assert_allclose(hybridrec.score(bundle, user, items).numpy(), expected, rtol=1e-4, atol=1e-6)
    assert torch is not None
