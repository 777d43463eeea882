"""The PyTorch reference classes of the specification, generalised to config sizes.

These are the contract with the C++ engine (src/model/network.h): its parameters
carry exactly the state_dict names below, so a model trained in C++ loads here with
load_state_dict(strict=True), and the parity fixtures generated from these classes
(python/tools/make_engine_fixtures.py) check the C++ forward, backward and Adam.
"""
import torch
import torch.nn.functional as F
from torch import nn


def _mlp(input_dim, hidden_layers, dropout_rate, extra_output_inputs=0):
    """Linear+ReLU per hidden layer, Dropout after every hidden block but the last,
    then Linear(h_last, 1). For [128, 64, 32] this is the specification's Sequential
    with indices mlp.0, mlp.3, mlp.6, mlp.8. extra_output_inputs widens the output
    Linear for the GMF branch (its inputs come after h_last's)."""
    layers = []
    previous = input_dim
    for i, width in enumerate(hidden_layers):
        layers += [nn.Linear(previous, width), nn.ReLU()]
        if i + 1 < len(hidden_layers):
            layers.append(nn.Dropout(dropout_rate))
        previous = width
    layers.append(nn.Linear(previous + extra_output_inputs, 1))
    return nn.Sequential(*layers)


GMF_INIT_STD = 0.01


class _GmfBranch:
    """NeuMF's fusion (He et al., 2017): with gmf_dim > 0 the model holds a second
    pair of id embeddings (mf_user_embedding, mf_item_embedding) whose element-wise
    product is concatenated with the MLP's last hidden layer before the output
    Linear, mlp[-1] = Linear(h_last + gmf_dim, 1). gmf_dim = 0 is the plain MLP."""

    def _init_gmf(self, user_rows, item_rows, gmf_dim):
        self.gmf_dim = gmf_dim
        if gmf_dim > 0:
            self.mf_user_embedding = nn.Embedding(user_rows, gmf_dim)
            self.mf_item_embedding = nn.Embedding(item_rows, gmf_dim)
            # NeuMF's N(0, 0.01), not nn.Embedding's N(0, 1): the product feeds the
            # output directly, and unit-variance rows give untrained items large
            # random scores. The C++ engine initialises the same way.
            nn.init.normal_(self.mf_user_embedding.weight, std=GMF_INIT_STD)
            nn.init.normal_(self.mf_item_embedding.weight, std=GMF_INIT_STD)

    def _fuse(self, x, user_ids, item_ids):
        if self.gmf_dim == 0:
            # squeeze(-1), not the specification's squeeze(): a batch of one stays 1-D.
            return self.mlp(x).squeeze(-1)
        gmf = self.mf_user_embedding(user_ids) * self.mf_item_embedding(item_ids)
        return self.mlp[-1](torch.cat([self.mlp[:-1](x), gmf], 1)).squeeze(-1)


class NeuralCollaborativeFiltering(nn.Module, _GmfBranch):
    """The specification's NCF; with gmf_dim > 0 it is NeuMF (GMF + MLP)."""

    def __init__(self, num_users, num_items, embedding_dim=50, hidden_layers=(128, 64, 32), dropout_rate=0.2,
                 gmf_dim=0):
        super().__init__()
        self.user_embedding = nn.Embedding(num_users, embedding_dim)
        self.item_embedding = nn.Embedding(num_items, embedding_dim)
        self._init_gmf(num_users, num_items, gmf_dim)
        self.mlp = _mlp(2 * embedding_dim, hidden_layers, dropout_rate, gmf_dim)

    def forward(self, user_ids, item_ids):
        x = torch.cat([self.user_embedding(user_ids), self.item_embedding(item_ids)], 1)
        return self._fuse(x, user_ids, item_ids)  # logit; prediction = sigmoid(logit)


def _feature_tables(cardinalities, bags, dim):
    """One table per categorical field: nn.Embedding for a single-valued field,
    nn.EmbeddingBag(mode="mean") for a multi-valued one (tags, several genres). Both
    name their table `.weight`, so the state_dict is the same either way; the C++
    engine records which fields are bags as features.user_cat_bags / item_cat_bags
    in config.json."""
    bags = list(bags) if bags is not None else [False] * len(cardinalities)
    if len(bags) != len(cardinalities):
        raise ValueError("one bag flag per categorical field expected")
    return nn.ModuleList([nn.EmbeddingBag(c, dim, mode="mean") if bag else nn.Embedding(c, dim)
                          for c, bag in zip(cardinalities, bags)])


def _embed_fields(tables, cats, bags):
    """cats: [batch, fields] codes (a bag field's first code); bags: {field: (input,
    offsets)} in nn.EmbeddingBag's 1-D form, one bag per sample, for the bag fields."""
    out = []
    for j, table in enumerate(tables):
        if isinstance(table, nn.EmbeddingBag):
            if bags is not None and j in bags:
                out.append(table(*bags[j]))
            else:  # one value per sample: a bag of one
                out.append(table(cats[:, j:j + 1]))
        else:
            out.append(table(cats[:, j]))
    return out


class HybridRecommender(nn.Module, _GmfBranch):
    def __init__(self, num_users, num_items, user_dense_dim, item_dense_dim, user_cat_cardinalities,
                 item_cat_cardinalities, embedding_dim=50, content_dim=64, feature_embedding_dim=10,
                 hidden_layers=(128, 64, 32), dropout_rate=0.2, gmf_dim=0, user_cat_bags=None, item_cat_bags=None):
        super().__init__()
        # The extra last row is the "unknown" vector for entities unseen in training
        # (the GMF tables have one too).
        self.user_embedding = nn.Embedding(num_users + 1, embedding_dim)
        self.item_embedding = nn.Embedding(num_items + 1, embedding_dim)
        self._init_gmf(num_users + 1, num_items + 1, gmf_dim)
        self.user_feature_embeddings = _feature_tables(user_cat_cardinalities, user_cat_bags, feature_embedding_dim)
        self.item_feature_embeddings = _feature_tables(item_cat_cardinalities, item_cat_bags, feature_embedding_dim)
        self.user_content = nn.Linear(user_dense_dim + len(user_cat_cardinalities) * feature_embedding_dim,
                                      content_dim)
        self.item_content = nn.Linear(item_dense_dim + len(item_cat_cardinalities) * feature_embedding_dim,
                                      content_dim)
        self.mlp = _mlp(2 * embedding_dim + 2 * content_dim, hidden_layers, dropout_rate, gmf_dim)

    def forward(self, user_ids, item_ids, user_dense, user_cats, item_dense, item_cats, user_bags=None,
                item_bags=None):
        uc = F.relu(self.user_content(torch.cat(
            [user_dense] + _embed_fields(self.user_feature_embeddings, user_cats, user_bags), 1)))
        ic = F.relu(self.item_content(torch.cat(
            [item_dense] + _embed_fields(self.item_feature_embeddings, item_cats, item_bags), 1)))
        x = torch.cat([self.user_embedding(user_ids), self.item_embedding(item_ids), uc, ic], 1)
        return self._fuse(x, user_ids, item_ids)  # logit


# Losses, all on the logit. Predictions are p = sigmoid(logit); weights are per
# sample (None = all ones) and every loss is a plain mean over samples (or pairs).

def mse_loss(logits, labels, weights=None):
    """The specification's loss: mean(w * (sigmoid(logit) - y)^2)."""
    err = (torch.sigmoid(logits) - labels) ** 2
    return (err if weights is None else weights * err).mean()


def bce_loss(logits, labels, weights=None):
    """Binary cross-entropy computed from the logit (numerically stable)."""
    return F.binary_cross_entropy_with_logits(logits, labels, weight=weights, reduction="mean")


def bpr_loss(logits, group_size, weights=None):
    """Samples come in groups [pos, neg1..negr]; mean over all (pos, neg) pairs of
    w_pos * -log sigmoid(s_pos - s_neg), each pair weighted by its positive's weight."""
    groups = logits.view(-1, group_size)
    diff = groups[:, :1] - groups[:, 1:]
    pair_loss = F.softplus(-diff)  # softplus(-d) == -log sigmoid(d), without underflow
    if weights is not None:
        pair_loss = weights.view(-1, group_size)[:, :1] * pair_loss
    return pair_loss.mean()


def compute_loss(name, logits, labels, weights=None, group_size=0):
    name = name.lower().replace("loss", "")
    if name == "mse":
        return mse_loss(logits, labels, weights)
    if name == "bce":
        return bce_loss(logits, labels, weights)
    if name == "bpr":
        return bpr_loss(logits, group_size, weights)
    raise ValueError(f"unknown loss {name!r} (expected mse, bce or bpr)")


def make_optimizer(model, lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-5):
    """The specification's optimiser: dense Adam with L2 weight decay added to the gradient."""
    return torch.optim.Adam(model.parameters(), lr=lr, betas=betas, eps=1e-8, weight_decay=weight_decay)
