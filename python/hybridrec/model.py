"""hybridrec.Model: the C++ library with an implicit/LightFM-shaped API.

    model = hybridrec.Model(family="hybrid", num_epochs=10, seed=7)
    model.fit(ratings_df, user_features=users_df, item_features=items_df)
    ids, scores = model.recommend(["196", "186"], n=10)
    model.save("model/")            # the folder `hybridrec train` writes
    model = hybridrec.Model.load("model/")   # any folder the CLI trained

Training runs in C++ through the same pipeline as `hybridrec train`: the frame is
handed to the CLI's reader (written as a CSV in a temporary folder), so a DataFrame
and the same table on disk train the same model, column names resolved the same way
(user_id, userId, item_id, movieId, rating, timestamp, weight, event, ...). Ids come
back as numpy arrays: int64 when every id of the model is a plain decimal integer,
else strings.
"""
import json
import os
import shutil
import tempfile

import numpy as np

import _hybridrec

Error = _hybridrec.Error
ConfigError = _hybridrec.ConfigError
DataError = _hybridrec.DataError

# Where a plain keyword (factors=64, num_epochs=10) is looked for, in order; the
# family's own section first (model.ials.factors before anything else).
_SECTIONS = ("model.{family}", "model", "training", "data", "evaluation")
_SHORTHANDS = {"seed": "training.seed", "threads": "training.threads", "epochs": "training.num_epochs"}


def model_families():
    """The family names Model(family=...) takes (the CLI's --model table)."""
    return list(_hybridrec.model_families())


def _has_key(config, dotted):
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _config_key(family, name, defaults):
    """The dotted configuration key of a keyword: `training__num_epochs` is
    training.num_epochs; a plain name is the first section of _SECTIONS that has it."""
    if "__" in name:
        return name.replace("__", ".")
    if name in _SHORTHANDS:
        return _SHORTHANDS[name]
    for section in _SECTIONS:
        key = section.format(family=family) + "." + name
        if _has_key(defaults, key):
            return key
    raise ConfigError(f"Model: unknown setting {name!r} for family {family!r}; use a configs/default.yaml key "
                      f"(e.g. num_epochs, embedding_dim, factors) or section__key (training__batch_size)")


def _id_array(ids):
    """Model ids as a numpy array: int64 when every id is a plain decimal integer."""
    if ids and all(s.isdigit() and (s == "0" or not s.startswith("0")) for s in ids):
        return np.array([int(s) for s in ids], dtype=np.int64)
    return np.array(ids, dtype=object)


def _as_list(values):
    scalar = np.isscalar(values) or isinstance(values, str)
    return ([values] if scalar else list(values)), scalar


def _is_sparse(x):
    return hasattr(x, "tocoo") and hasattr(x, "shape") and not hasattr(x, "columns")


class Model:
    """A recommender of one family (hybridrec.model_families()), configured by
    keywords over configs/default.yaml: Model("ials", factors=64, seed=3)."""

    def __init__(self, family="hybrid", config_file=None, verbose=False, **config):
        self.family = family
        self.verbose = verbose
        defaults = json.loads(_hybridrec.default_config())
        self._overrides = [f"{_config_key(family, k, defaults)}={json.dumps(v)}" for k, v in config.items()]
        self._config_file = config_file
        self._explicit = {o.split("=", 1)[0] for o in self._overrides}
        self._native = None
        self._fit_data = None  # what fit() read, for evaluate() without arguments
        self._item_array = self._user_array = None

    # ---- training ---------------------------------------------------------
    def fit(self, interactions, user_features=None, item_features=None, columns=None):
        """Trains on a pandas DataFrame (one interaction per row; columns found by
        name as the CLI finds them, or named in `columns`, e.g. {"user": "uid",
        "rating": "stars"}) or on a scipy sparse users x items matrix of confidence
        values (row and column numbers become the ids; the split is then
        user_random, there being no timestamps). `user_features` / `item_features`:
        DataFrames keyed by their user_id / item_id column, else by their index."""
        import pandas as pd

        overlay = {"model": {"type": self.family}, "data": {}}
        if columns:
            overlay["data"]["columns"] = dict(columns)
        if _is_sparse(interactions):
            coo = interactions.tocoo()
            keep = coo.data != 0
            frame = pd.DataFrame({"user_id": coo.row[keep], "item_id": coo.col[keep], "weight": coo.data[keep]})
            # Confidence values are used as given unless told otherwise.
            if "data.weight_transform" not in self._explicit:
                overlay["data"]["weight_transform"] = "raw"
            if "data.split" not in self._explicit:
                overlay["data"]["split"] = "user_random"
        elif hasattr(interactions, "to_csv"):
            frame = interactions
        else:
            raise TypeError("fit: interactions must be a pandas DataFrame or a scipy sparse matrix, got "
                            f"{type(interactions).__name__}")
        if len(frame) == 0:
            raise DataError("fit: no interactions")
        config = json.loads(_hybridrec.resolve_config(self._config_file, self._overrides, json.dumps(overlay)))
        with tempfile.TemporaryDirectory(prefix="hybridrec-fit-") as tmp:
            paths = self._write_tables(tmp, frame, user_features, item_features)
            self._native = _hybridrec.NativeModel.fit(json.dumps(config), *paths, os.path.join(tmp, "model"),
                                                      not self.verbose)
        self._fit_data = (frame, user_features, item_features)
        self._refresh()
        return self

    @staticmethod
    def _write_tables(folder, frame, user_features, item_features):
        data = os.path.join(folder, "frame.csv")  # not interactions.csv: that name means the canonical layout
        frame.to_csv(data, index=False)
        tables = []
        for features, key, name in ((user_features, "user_id", "user_features.csv"), (item_features, "item_id", "item_features.csv")):
            if features is None:
                tables.append("")
                continue
            # The key column first: the reader keys an attribute table by its first column.
            table = features[[key] + [c for c in features.columns if c != key]] if key in features.columns \
                else features.reset_index()
            path = os.path.join(folder, name)
            table.to_csv(path, index=False)
            tables.append(path)
        return data, tables[0], tables[1]

    # ---- persistence ------------------------------------------------------
    def save(self, path):
        """Writes the model folder (the layout `hybridrec train --out` writes)."""
        self._require_fitted().save(str(path))

    @classmethod
    def load(cls, path):
        """Loads any model folder written by `hybridrec train` or save()."""
        native = _hybridrec.NativeModel.load(str(path))
        model = cls(family=native.family)
        model._native = native
        model._refresh()
        return model

    def _refresh(self):
        self.family = self._native.family
        self._user_array = _id_array(self._native.user_ids)
        self._item_array = _id_array(self._native.item_ids)

    def _require_fitted(self):
        if self._native is None:
            raise Error("the model is not fitted: call fit() or Model.load()")
        return self._native

    # ---- what the model knows ---------------------------------------------
    @property
    def user_ids(self):
        self._require_fitted()
        return self._user_array

    @property
    def item_ids(self):
        self._require_fitted()
        return self._item_array

    @property
    def config(self):
        """The merged configuration the model was trained with (config.json)."""
        return json.loads(self._require_fitted().config_json)

    @property
    def metrics(self):
        """The training run's test report (metrics.json), or {} when unknown."""
        return json.loads(self._require_fitted().metrics_json) or {}

    def _threads(self):
        return int(self.config.get("training", {}).get("threads", 2))

    def _item_ids_of(self, indices):
        """Index matrix (-1 = no item) -> id matrix (-1 / None for no item)."""
        ids = self._item_array[np.clip(indices, 0, None)]
        if ids.dtype == object:
            ids = ids.copy()
            ids[indices < 0] = None
        else:
            ids = np.where(indices < 0, -1, ids)
        return ids

    def _indices(self, ids, kind):
        native = self._require_fitted()
        found = (native.find_users if kind == "user" else native.find_items)([str(i) for i in ids])
        return found

    def user_items(self, user_id):
        """The items the model holds as the user's history (its training part):
        what filter_already_liked_items leaves out."""
        index = self._indices([user_id], "user")[0]
        if index < 0:
            raise KeyError(f"user_items: unknown user id {user_id!r}")
        return self._item_array[np.asarray(self._native.seen_items(int(index)), dtype=np.int64)]

    # ---- recommending -----------------------------------------------------
    def recommend(self, user_ids, n=10, filter_already_liked_items=True, user_attributes=None, return_routes=False):
        """Top-n items for one user id or a batch of them: (ids, scores), arrays of
        shape [n] for one user, [users, n] for a batch (padded with -1 / None and
        NaN when fewer items remain). Users unknown to the model are cold starts:
        scored from `user_attributes` (a dict for one user; a list of dicts or a
        DataFrame indexed by user id for a batch) by a family with a content path,
        else by popularity. Scores are on one 0-1 scale whichever path serves a
        user. With return_routes, a third value says each user's path (model,
        content, popularity)."""
        users, scalar = _as_list(user_ids)
        native = self._require_fitted()
        index = self._indices(users, "user")
        ids = np.full((len(users), n), -1, dtype=np.int64)
        scores = np.full((len(users), n), np.nan, dtype=np.float32)
        routes = [None] * len(users)
        known = np.flatnonzero(index >= 0)
        if known.size:
            i, s, r = native.recommend(index[known].astype(np.uint32), n, bool(filter_already_liked_items),
                                       self._threads())
            ids[known], scores[known] = i, s
            for k, route in zip(known, r):
                routes[k] = route
        unknown = np.flatnonzero(index < 0)
        if unknown.size:
            attrs = [self._attributes_of(users[k], k, user_attributes, scalar) for k in unknown]
            i, s, r = native.recommend_new_users(attrs, n)
            ids[unknown], scores[unknown] = i, s
            for k, route in zip(unknown, r):
                routes[k] = route
        out = [self._item_ids_of(ids), scores]
        if scalar:
            out = [out[0][0], out[1][0]]
            routes = routes[0]
        return (*out, routes) if return_routes else tuple(out)

    @staticmethod
    def _attributes_of(user, position, user_attributes, scalar):
        if user_attributes is None:
            return {}
        if hasattr(user_attributes, "loc"):  # a DataFrame indexed by user id
            if user not in user_attributes.index:
                return {}
            row = user_attributes.loc[user]
            return {str(k): str(v) for k, v in row.items() if v == v and v is not None}
        if isinstance(user_attributes, dict) and scalar:
            return {str(k): str(v) for k, v in user_attributes.items()}
        if isinstance(user_attributes, dict):  # {user_id: {attribute: value}}
            return {str(k): str(v) for k, v in user_attributes.get(user, {}).items()}
        return {str(k): str(v) for k, v in user_attributes[position].items()}

    def similar_items(self, item_ids, n=10):
        """The n items most similar to each given item (cosine of the model's item
        vectors, or its learned item-item similarity): (ids, scores) as recommend."""
        items, scalar = _as_list(item_ids)
        index = self._indices(items, "item")
        if (index < 0).any():
            raise KeyError(f"similar_items: unknown item id {items[int(np.flatnonzero(index < 0)[0])]!r}")
        i, s = self._require_fitted().similar_items(index.astype(np.uint32), n)
        ids = self._item_ids_of(i)
        return (ids[0], s[0]) if scalar else (ids, s)

    def score(self, users, items):
        """Scores of (users[k], items[k]) pairs, float32, as recommend ranks them."""
        users, _ = _as_list(users)
        items, _ = _as_list(items)
        if len(users) == 1 and len(items) > 1:
            users = users * len(items)
        if len(users) != len(items):
            raise ValueError(f"score: {len(users)} users but {len(items)} items")
        u, i = self._indices(users, "user"), self._indices(items, "item")
        for ids, idx, kind in ((users, u, "user"), (items, i, "item")):
            if (idx < 0).any():
                raise KeyError(f"score: unknown {kind} id {ids[int(np.flatnonzero(idx < 0)[0])]!r}")
        return self._require_fitted().score(u.astype(np.uint32), i.astype(np.uint32))

    # ---- evaluation -------------------------------------------------------
    def evaluate(self, interactions=None, user_features=None, item_features=None, part="test", k=(5, 10, 20)):
        """The model's metrics on `part` (test or validation) of the data it was
        trained on, split as training split it: the evaluator's dict
        ({"ranking": {"ndcg@10": ...}, "prediction": ..., "business": ..., ...}).
        Without `interactions`: the data fit() read, or for a loaded folder the
        data its config.json records."""
        native = self._require_fitted()
        if interactions is None and self._fit_data is not None:
            interactions, user_features, item_features = self._fit_data
        ks = [int(x) for x in k]
        if interactions is None:
            config = self.config
            data = config.get("data", {})
            path = config.get("training_data", {}).get("path", "")
            return json.loads(native.evaluate(path, data.get("users", ""), data.get("items", ""), part, ks))
        if _is_sparse(interactions):
            raise TypeError("evaluate: pass the DataFrame (or nothing, after fit) rather than a matrix")
        tmp = tempfile.mkdtemp(prefix="hybridrec-eval-")
        try:
            paths = self._write_tables(tmp, interactions, user_features, item_features)
            return json.loads(native.evaluate(*paths, part, ks))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def __repr__(self):
        if self._native is None:
            return f"Model(family={self.family!r}, unfitted)"
        return f"Model(family={self.family!r}, users={len(self._user_array)}, items={len(self._item_array)})"
