#!/usr/bin/python3
"""Generates the PyTorch parity fixtures for the C++ engine (tests/fixtures/engine/).

For each model (ncf, hybrid; each also with the GMF branch, and the hybrid with
multi-valued nn.EmbeddingBag(mode="mean") fields: hybrid_bag_*) and loss (mse, bce, bpr)
it builds the reference class
of python/hybridrec/models.py at small sizes with seeded weights, runs one batch
with dropout off, and records: initial weights, logits and predictions, the loss,
every parameter gradient, and the parameters (and Adam moments) after 1 and 3 steps
of torch.optim.Adam on the same batch. tests/model/test_pytorch_parity.cpp replays
this in C++ and compares.

Regenerate (Debian's python has torch; the fixtures are committed, tests never run this):
    unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
    /usr/bin/python3 python/tools/make_engine_fixtures.py [--out tests/fixtures/engine]

Each fixture is also recomputed in float64; generation fails if float32 and float64
disagree beyond a tolerance well inside the C++ test's, so an ill-conditioned value
(e.g. a gradient that is zero up to rounding, whose Adam step sign is arbitrary)
can never make the C++ comparison fail spuriously.
"""
import argparse
import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hybridrec.models import HybridRecommender, NeuralCollaborativeFiltering, compute_loss  # noqa: E402
from hybridrec.safetensors_io import save_file  # noqa: E402

NUM_USERS, NUM_ITEMS = 7, 9
EMBEDDING_DIM, HIDDEN, CONTENT_DIM, FEATURE_EMB = 4, [8, 6, 4], 5, 3
GMF_DIM = 3  # the GMF-branch fixtures (neumf_*, hybrid_gmf_*); unlike EMBEDDING_DIM so shapes cannot mix up
USER_DENSE, ITEM_DENSE = 2, 3
USER_CARDS, ITEM_CARDS = [4], [5, 3]
# The bag fixtures (hybrid_bag_*): these fields are multi-valued, nn.EmbeddingBag(mode="mean")
# over 1 to MAX_BAG values per entity (repeats allowed, as a real tag list may have them).
USER_BAGS, ITEM_BAGS = [True], [False, True]
MAX_BAG = 4
# Larger than the defaults so one step moves every value visibly (a wrong update
# rule cannot hide below the comparison tolerance).
LR, BETAS, EPS, WEIGHT_DECAY = 0.01, (0.9, 0.999), 1e-8, 0.01
STEPS = 3
BATCH = 10
BPR_GROUP = 5  # one positive, four negatives: the default negative_sampling_ratio

# float32 vs float64 agreement required of every stored value: |a-b| <= REL*|b| + ABS.
# The C++ test allows 1e-5 relative with a 1e-6 floor.
CHECK_REL, CHECK_ABS = 1e-6, 1e-7


def make_model(kind, seed, gmf_dim=0, bags=False):
    model = _make_model(kind, seed, gmf_dim, bags)
    if gmf_dim > 0:
        # Unit-variance GMF rows instead of NeuMF's N(0, 0.01) start: the branch's
        # logits and gradients must be large enough for the C++ test's tolerance to
        # see a mistake in them.
        with torch.no_grad():
            model.mf_user_embedding.weight.normal_()
            model.mf_item_embedding.weight.normal_()
    return model


def _make_model(kind, seed, gmf_dim, bags):
    torch.manual_seed(seed)
    if kind == "ncf":
        return NeuralCollaborativeFiltering(NUM_USERS, NUM_ITEMS, EMBEDDING_DIM, HIDDEN, dropout_rate=0.0,
                                            gmf_dim=gmf_dim)
    return HybridRecommender(NUM_USERS, NUM_ITEMS, USER_DENSE, ITEM_DENSE, USER_CARDS, ITEM_CARDS,
                             embedding_dim=EMBEDDING_DIM, content_dim=CONTENT_DIM,
                             feature_embedding_dim=FEATURE_EMB, hidden_layers=HIDDEN, dropout_rate=0.0,
                             gmf_dim=gmf_dim, user_cat_bags=USER_BAGS if bags else None,
                             item_cat_bags=ITEM_BAGS if bags else None)


def make_bags(entities, cardinality, g):
    """Per entity 1..MAX_BAG codes: (offsets [entities + 1], codes), CSR as the C++ engine keeps them."""
    sizes = torch.randint(1, MAX_BAG + 1, (entities,), generator=g)
    codes = torch.randint(0, cardinality, (int(sizes.sum()),), generator=g)
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), sizes.cumsum(0)])
    return offsets, codes


def make_data(loss, seed, bags=False):
    g = torch.Generator().manual_seed(seed)
    users = torch.randint(0, NUM_USERS, (BATCH,), generator=g)
    items = torch.randint(0, NUM_ITEMS, (BATCH,), generator=g)
    if loss == "bpr":
        labels = torch.tensor(([1.0] + [0.0] * (BPR_GROUP - 1)) * (BATCH // BPR_GROUP))
    else:
        labels = torch.randint(0, 2, (BATCH,), generator=g).float()
    # Non-uniform, so weighting is exercised (BPR uses the positives' weights only).
    weights = 0.5 + torch.rand(BATCH, generator=g) * 1.5
    features = {
        "user_dense": torch.rand(NUM_USERS, USER_DENSE, generator=g),
        "user_categorical": torch.stack([torch.randint(0, c, (NUM_USERS,), generator=g) for c in USER_CARDS], 1),
        "item_dense": torch.rand(NUM_ITEMS, ITEM_DENSE, generator=g),
        "item_categorical": torch.stack([torch.randint(0, c, (NUM_ITEMS,), generator=g) for c in ITEM_CARDS], 1),
    }
    if bags:
        for side, n, cards, flags in (("user", NUM_USERS, USER_CARDS, USER_BAGS), ("item", NUM_ITEMS, ITEM_CARDS, ITEM_BAGS)):
            for j, (c, flag) in enumerate(zip(cards, flags)):
                if not flag:
                    continue
                offsets, codes = make_bags(n, c, g)
                features[f"{side}_bag.{j}.offsets"] = offsets
                features[f"{side}_bag.{j}.codes"] = codes
                features[f"{side}_categorical"][:, j] = codes[offsets[:-1]]  # the first code, as the engine keeps it
    return users, items, labels, weights, features


def batch_bags(features, side, ids):
    """{field: (input, offsets)} of the samples' bags, nn.EmbeddingBag's 1-D form."""
    out = {}
    for key in features:
        if not (key.startswith(side + "_bag.") and key.endswith(".offsets")):
            continue
        j = int(key.split(".")[1])
        offsets, codes = features[key], features[f"{side}_bag.{j}.codes"]
        parts = [codes[offsets[e]:offsets[e + 1]] for e in ids.tolist()]
        starts = torch.tensor([0] + [len(p) for p in parts[:-1]], dtype=torch.int64).cumsum(0)
        out[j] = (torch.cat(parts), starts)
    return out or None


def forward(model, kind, users, items, features, dtype):
    if kind == "ncf":
        return model(users, items)
    return model(users, items, features["user_dense"][users].to(dtype), features["user_categorical"][users],
                 features["item_dense"][items].to(dtype), features["item_categorical"][items],
                 batch_bags(features, "user", users), batch_bags(features, "item", items))


def run(kind, loss, model, data, dtype):
    """Returns every value the fixture stores, computed in `dtype`."""
    users, items, labels, weights, features = data
    model = copy.deepcopy(model).to(dtype)
    model.eval()  # dropout is 0 anyway; eval() makes that explicit
    labels, weights = labels.to(dtype), weights.to(dtype)
    group = BPR_GROUP if loss == "bpr" else 0
    out = {f"init.{k}": v.detach().clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)
    losses = []
    for step in range(1, STEPS + 1):
        optimizer.zero_grad()
        logits = forward(model, kind, users, items, features, dtype)
        value = compute_loss(loss, logits, labels, weights, group)
        if step == 1:
            out["out.logits"] = logits.detach().clone()
            out["out.predictions"] = torch.sigmoid(logits).detach()
        value.backward()
        losses.append(value.detach())
        if step == 1:
            for name, p in model.named_parameters():
                out[f"grad.{name}"] = p.grad.detach().clone()
        optimizer.step()
        if step in (1, STEPS):
            for name, p in model.named_parameters():
                out[f"step{step}.{name}"] = p.detach().clone()
    params = dict(model.named_parameters())
    for name, p in params.items():
        state = optimizer.state[p]
        out[f"adam{STEPS}.{name}.exp_avg"] = state["exp_avg"].detach().clone()
        out[f"adam{STEPS}.{name}.exp_avg_sq"] = state["exp_avg_sq"].detach().clone()
    out["out.losses"] = torch.stack(losses)
    return out


def check_conditioning(name, f32, f64):
    for key, a in f32.items():
        b = f64[key].to(torch.float64)
        a = a.to(torch.float64)
        bad = (a - b).abs() > CHECK_REL * b.abs() + CHECK_ABS
        if bad.any():
            i = int(bad.flatten().nonzero()[0])
            raise SystemExit(f"{name}: '{key}' is ill-conditioned: float32 {a.flatten()[i].item()!r} vs "
                             f"float64 {b.flatten()[i].item()!r}; pick another seed")


def write_dtype_fixture(out_dir):
    """dtypes.safetensors: the same values in every dtype the C++ reader converts.
    The values (k/4 - 1, k = 0..5, and -2^20) are exact in all of them (F16 up to 65504,
    so its copy omits -2^20), so the C++ test can compare them to one float reference."""
    base = torch.arange(6, dtype=torch.float64).reshape(2, 3) / 4 - 1
    big = torch.tensor([-(2.0 ** 20), 3.0])
    tensors = {
        "f64": base.to(torch.float64), "f32": base.to(torch.float32), "f16": base.to(torch.float16),
        "bf16": base.to(torch.bfloat16),
        "i64": (base * 4).to(torch.int64), "i32": (base * 4).to(torch.int32),
        "big_i64": big.to(torch.int64), "big_f32": big, "big_bf16": big.to(torch.bfloat16),
        "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 4),
    }
    path = os.path.join(out_dir, "dtypes.safetensors")
    save_file(tensors, path, {"purpose": "dtype conversion test", "generator": "python/tools/make_engine_fixtures.py"})
    return os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    parser.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "engine"))
    parser.add_argument("--seed", type=int, default=20240)
    args = parser.parse_args()
    torch.set_num_threads(1)  # deterministic reductions

    total = 0
    # (fixture prefix, model, gmf_dim, bags): the plain networks, with the GMF branch,
    # then the hybrid with multi-valued (EmbeddingBag) fields.
    variants = [("ncf", "ncf", 0, False), ("hybrid", "hybrid", 0, False), ("neumf", "ncf", GMF_DIM, False),
                ("hybrid_gmf", "hybrid", GMF_DIM, False), ("hybrid_bag", "hybrid", 0, True)]
    for m, (prefix, kind, gmf_dim, bags) in enumerate(variants):
        for l, loss in enumerate(["mse", "bce", "bpr"]):
            seed = args.seed + 10 * m + l
            model = make_model(kind, seed, gmf_dim, bags)
            data = make_data(loss, seed, bags)
            f32 = run(kind, loss, model, data, torch.float32)
            f64 = run(kind, loss, model, data, torch.float64)
            name = f"{prefix}_{loss}"
            check_conditioning(name, f32, f64)

            users, items, labels, weights, features = data
            tensors = {"batch.users": users, "batch.items": items, "batch.labels": labels, "batch.weights": weights}
            if kind == "hybrid":
                tensors.update({f"features.{k}": v for k, v in features.items()})
            tensors.update(f32)
            metadata = {
                "model": kind, "loss": loss, "num_users": NUM_USERS, "num_items": NUM_ITEMS,
                "embedding_dim": EMBEDDING_DIM, "hidden_layers": json.dumps(HIDDEN), "dropout_rate": 0.0,
                "gmf_dim": gmf_dim,
                "content_dim": CONTENT_DIM, "feature_embedding_dim": FEATURE_EMB,
                "user_cat_cardinalities": json.dumps(USER_CARDS), "item_cat_cardinalities": json.dumps(ITEM_CARDS),
                "user_cat_bags": json.dumps(USER_BAGS if bags else [False] * len(USER_CARDS)),
                "item_cat_bags": json.dumps(ITEM_BAGS if bags else [False] * len(ITEM_CARDS)),
                "group_size": BPR_GROUP if loss == "bpr" else 0, "steps": STEPS,
                "learning_rate": repr(LR), "beta1": repr(BETAS[0]), "beta2": repr(BETAS[1]), "eps": repr(EPS),
                "weight_decay": repr(WEIGHT_DECAY), "seed": seed, "torch_version": torch.__version__,
                "generator": "python/tools/make_engine_fixtures.py",
            }
            path = os.path.join(args.out, f"{name}.safetensors")
            save_file(tensors, path, metadata)
            size = os.path.getsize(path)
            total += size
            print(f"{path}: {len(tensors)} tensors, {size} bytes, loss {f32['out.losses'][0].item():.6f}")
    total += write_dtype_fixture(args.out)
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
