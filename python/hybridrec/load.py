"""Loads a model directory written by the C++ trainer into the PyTorch classes.

Artifact layout (what `hybridrec train` writes):
  config.json          {"model": {type, embedding_dim, hidden_layers, dropout_rate,
                                  content_dim, feature_embedding_dim, gmf_dim},
                        "num_users": U, "num_items": I,
                        "features": {"user_dense_dim", "item_dense_dim",        # hybrid only
                                     "user_cat_cardinalities", "item_cat_cardinalities",
                                     "user_cat_bags", "item_cat_bags"}}  # bags: nn.EmbeddingBag fields
  model.safetensors    the state_dict (names of python/hybridrec/models.py), F32
  user_id_map.json     JSON array of user ids in index order (length U)
  item_id_map.json     JSON array of item ids in index order (length I)
  features.safetensors hybrid only: "user_dense" [U, du], "user_categorical" [U, cu] (codes as F32),
                       "item_dense" [I, di], "item_categorical" [I, ci]; per multi-valued field j
                       "user_bag.j.offsets" [U + 1] and "user_bag.j.codes" (every code of each
                       user, CSR; likewise item_bag.j.*), mean-pooled by nn.EmbeddingBag
"""
import json
import os

import torch

from .models import HybridRecommender, NeuralCollaborativeFiltering
from .safetensors_io import load_file


class ModelBundle:
    """A loaded model with its id maps (and feature tables for hybrid).

    Unpacks as (model, user_ids, item_ids) so `model, users, items = load_model(d)` works.
    """

    def __init__(self, model, user_ids, item_ids, config, features=None):
        self.model = model
        self.user_ids = user_ids
        self.item_ids = item_ids
        self.config = config
        self.features = features  # dict of tensors for hybrid, None for ncf
        self.user_index = {u: i for i, u in enumerate(user_ids)}
        self.item_index = {v: i for i, v in enumerate(item_ids)}

    def __iter__(self):
        return iter((self.model, self.user_ids, self.item_ids))


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_model(model_dir):
    config = _read_json(os.path.join(model_dir, "config.json"))
    m = config["model"]
    num_users, num_items = int(config["num_users"]), int(config["num_items"])
    common = dict(embedding_dim=int(m["embedding_dim"]), hidden_layers=tuple(int(h) for h in m["hidden_layers"]),
                  dropout_rate=float(m["dropout_rate"]), gmf_dim=int(m.get("gmf_dim", 0)))
    features = None
    if m["type"] == "ncf":
        model = NeuralCollaborativeFiltering(num_users, num_items, **common)
    elif m["type"] == "hybrid":
        f = config["features"]
        model = HybridRecommender(num_users, num_items, int(f["user_dense_dim"]), int(f["item_dense_dim"]),
                                  [int(c) for c in f["user_cat_cardinalities"]],
                                  [int(c) for c in f["item_cat_cardinalities"]],
                                  content_dim=int(m["content_dim"]),
                                  feature_embedding_dim=int(m["feature_embedding_dim"]),
                                  user_cat_bags=f.get("user_cat_bags"), item_cat_bags=f.get("item_cat_bags"), **common)
        features = load_file(os.path.join(model_dir, "features.safetensors"))
        features = {k: v.float() for k, v in features.items()}
        for key, rows in (("user_dense", num_users), ("user_categorical", num_users),
                          ("item_dense", num_items), ("item_categorical", num_items)):
            if key not in features or features[key].dim() != 2 or features[key].shape[0] != rows:
                raise ValueError(f"{model_dir}/features.safetensors: '{key}' must be a [{rows}, k] table")
        # Codes are stored as floats; embeddings need integer indices.
        features["user_categorical"] = features["user_categorical"].round().long()
        features["item_categorical"] = features["item_categorical"].round().long()
        for key in [k for k in features if "_bag." in k]:
            features[key] = features[key].round().long()
    else:
        raise ValueError(f"{model_dir}/config.json: model.type {m['type']!r} has no PyTorch class")

    state = load_file(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    model.eval()  # dropout off for serving

    user_ids = _read_json(os.path.join(model_dir, "user_id_map.json"))
    item_ids = _read_json(os.path.join(model_dir, "item_id_map.json"))
    if len(user_ids) != num_users or len(item_ids) != num_items:
        raise ValueError(f"{model_dir}: id maps have {len(user_ids)} users / {len(item_ids)} items, "
                         f"config.json says {num_users} / {num_items}")
    return ModelBundle(model, user_ids, item_ids, config, features)


def _bags(features, side, ids):
    """{field: (input, offsets)} of the entities' bags, nn.EmbeddingBag's 1-D form."""
    out = {}
    for key in features:
        if key.startswith(side + "_bag.") and key.endswith(".offsets"):
            j = int(key.split(".")[1])
            offsets, codes = features[key], features[f"{side}_bag.{j}.codes"]
            parts = [codes[offsets[e]:offsets[e + 1]] for e in ids.tolist()]
            starts = torch.tensor([0] + [len(p) for p in parts[:-1]], dtype=torch.long).cumsum(0)
            out[j] = (torch.cat(parts), starts)
    return out or None


@torch.no_grad()
def score(model_bundle, user_index, item_indices):
    """sigmoid predictions of one user (dense index) for the given item indices."""
    items = torch.as_tensor(item_indices, dtype=torch.long).reshape(-1)
    users = torch.full_like(items, int(user_index))
    model = model_bundle.model
    if isinstance(model, HybridRecommender):
        f = model_bundle.features
        logits = model(users, items, f["user_dense"][users], f["user_categorical"][users],
                       f["item_dense"][items], f["item_categorical"][items],
                       _bags(f, "user", users), _bags(f, "item", items))
    else:
        logits = model(users, items)
    return torch.sigmoid(logits)
