// Finite-difference check of every analytic gradient the engine computes: id
// embeddings, feature embeddings, content Linears and MLP Linears, for each loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "model/network.h"

namespace hybridrec {
namespace {

FeatureSet tiny_features(std::size_t users, std::size_t items, std::uint64_t seed) {
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  FeatureSet f;
  f.users.dense = RowMatrix::NullaryExpr(static_cast<Eigen::Index>(users), 3, [&]() { return unit(rng); });
  f.users.categorical_names = {"favourite_category"};
  f.users.categorical_cardinality = {4};
  f.users.categorical = {std::vector<std::int32_t>(users)};
  for (std::size_t u = 0; u < users; ++u) f.users.categorical[0][u] = static_cast<std::int32_t>(u % 4);
  f.items.dense = RowMatrix::NullaryExpr(static_cast<Eigen::Index>(items), 2, [&]() { return unit(rng); });
  f.items.categorical_names = {"category", "brand"};
  f.items.categorical_cardinality = {3, 5};
  f.items.categorical = {std::vector<std::int32_t>(items), std::vector<std::int32_t>(items)};
  for (std::size_t i = 0; i < items; ++i) {
    f.items.categorical[0][i] = static_cast<std::int32_t>(i % 3);
    f.items.categorical[1][i] = static_cast<std::int32_t>((i * 7) % 5);
  }
  return f;
}

// Puts a bag of 1..3 codes (repeats included) in field `field`, as nn.EmbeddingBag's mean.
void make_bag_field(EntityFeatures& f, std::size_t field, std::uint64_t seed) {
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  const std::size_t n = f.size(), fields = f.num_categorical();
  f.bag_offsets.resize(fields);
  f.bag_codes.resize(fields);
  f.bag_offsets[field] = {0};
  f.bag_codes[field].clear();
  for (std::size_t e = 0; e < n; ++e) {
    const std::size_t size = 1 + e % 3;
    for (std::size_t k = 0; k < size; ++k)
      f.bag_codes[field].push_back(static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(f.categorical_cardinality[field])));
    f.bag_offsets[field].push_back(static_cast<std::uint32_t>(f.bag_codes[field].size()));
    f.categorical[field][e] = f.bag_codes[field][f.bag_offsets[field][e]];
  }
}

// tiny_features with multi-valued fields: the user's only field and a third item field ("tags").
FeatureSet tiny_features_with_bags(std::size_t users, std::size_t items, std::uint64_t seed) {
  FeatureSet f = tiny_features(users, items, seed);
  f.items.categorical_names.push_back("tags");
  f.items.categorical_cardinality.push_back(6);
  f.items.categorical.emplace_back(items, 0);
  make_bag_field(f.users, 0, seed + 1);
  make_bag_field(f.items, 2, seed + 2);
  return f;
}

ModelConfig small_config(const std::string& type, int gmf_dim = 0) {
  ModelConfig c;
  c.type = type;
  c.gmf_dim = gmf_dim;
  c.embedding_dim = 4;
  c.hidden_layers = {6, 5, 3};
  c.dropout_rate = 0.0f;  // finite differences need a deterministic function
  c.content_dim = 4;
  c.feature_embedding_dim = 2;
  return c;
}

Batch tiny_batch(Loss loss, std::size_t users, std::size_t items) {
  Batch b;
  std::mt19937 rng(7);
  const std::size_t n = 24;  // a multiple of the BPR group size 3
  for (std::size_t i = 0; i < n; ++i) {
    b.users.push_back(static_cast<std::uint32_t>(rng() % users));
    b.items.push_back(static_cast<std::uint32_t>(rng() % items));
    b.labels.push_back(i % 3 == 0 ? 1.0f : 0.0f);
    b.weights.push_back(0.5f + static_cast<float>(i % 4) * 0.25f);
  }
  if (loss == Loss::BPR) {
    b.group_size = 3;
    for (std::size_t i = 0; i < n; i += 3) b.users[i + 1] = b.users[i + 2] = b.users[i];
  }
  return b;
}

void expect_gradients_match(const std::string& type, Loss loss, int gmf_dim = 0, bool bags = false) {
  const std::size_t users = 7, items = 9;
  FeatureSet features = bags ? tiny_features_with_bags(users, items, 3) : tiny_features(users, items, 3);
  // Seeds where this tiny network has few dead ReLU units: the check below needs
  // most of the compared gradients to be non-zero (the bag layout draws other weights).
  auto net = Network::create(small_config(type, gmf_dim), users, items, &features, bags ? 12 : 11);
  OptimizerConfig opt;
  opt.learning_rate = 0.0f;  // a step that computes gradients but leaves parameters as they are
  net->set_optimizer(opt);
  const Batch batch = tiny_batch(loss, users, items);
  const float step_loss = net->train_step(batch, loss, 1);
  EXPECT_NEAR(step_loss, net->evaluate_loss(batch, loss), 1e-6f);

  std::map<std::string, std::vector<float>> analytic;
  for (auto& g : net->last_gradients()) analytic[g.name] = g.data;
  std::vector<NamedTensor> params = net->state_dict();
  ASSERT_EQ(analytic.size(), params.size());

  const float h = 2e-3f;
  int checked = 0, nonzero = 0;
  for (std::size_t p = 0; p < params.size(); ++p) {
    const std::vector<float>& g = analytic.at(params[p].name);
    ASSERT_EQ(g.size(), params[p].data.size()) << params[p].name;
    // Check the entries with the largest gradients (the ones that matter) and a
    // few with zero gradient (rows absent from the batch, dead units).
    std::vector<std::size_t> order(g.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return std::abs(g[a]) > std::abs(g[b]); });
    order.resize(std::min<std::size_t>(order.size(), 6));
    order.push_back(g.size() - 1);
    for (std::size_t idx : order) {
      std::vector<NamedTensor> moved = params;
      const float original = params[p].data[idx];
      moved[p].data[idx] = original + h;
      net->load_state_dict(moved);
      const double up = net->evaluate_loss(batch, loss);
      moved[p].data[idx] = original - h;
      net->load_state_dict(moved);
      const double down = net->evaluate_loss(batch, loss);
      const double numeric = (up - down) / (2.0 * h);
      EXPECT_NEAR(numeric, g[idx], 2e-4 + 0.03 * std::abs(numeric))
          << type << " " << params[p].name << "[" << idx << "]";
      ++checked;
      if (std::abs(g[idx]) > 1e-4) ++nonzero;
    }
    net->load_state_dict(params);
    double largest = 0;
    for (float x : g) largest = std::max(largest, static_cast<double>(std::abs(x)));
    EXPECT_GT(largest, 0.0) << params[p].name << " received no gradient at all";
  }
  EXPECT_GT(nonzero, checked / 2);
}

TEST(NetworkGradCheck, NcfMse) { expect_gradients_match("ncf", Loss::MSE); }
TEST(NetworkGradCheck, NcfBce) { expect_gradients_match("ncf", Loss::BCE); }
TEST(NetworkGradCheck, NcfBpr) { expect_gradients_match("ncf", Loss::BPR); }
TEST(NetworkGradCheck, HybridMse) { expect_gradients_match("hybrid", Loss::MSE); }
TEST(NetworkGradCheck, HybridBce) { expect_gradients_match("hybrid", Loss::BCE); }
TEST(NetworkGradCheck, HybridBpr) { expect_gradients_match("hybrid", Loss::BPR); }
// With the GMF branch (NeuMF): the mf_* tables and the widened output Linear too.
TEST(NetworkGradCheck, NeumfMse) { expect_gradients_match("ncf", Loss::MSE, 3); }
TEST(NetworkGradCheck, NeumfBce) { expect_gradients_match("ncf", Loss::BCE, 3); }
TEST(NetworkGradCheck, NeumfBpr) { expect_gradients_match("ncf", Loss::BPR, 3); }
TEST(NetworkGradCheck, HybridGmfBce) { expect_gradients_match("hybrid", Loss::BCE, 5); }
TEST(NetworkGradCheck, HybridGmfBpr) { expect_gradients_match("hybrid", Loss::BPR, 5); }
// Multi-valued fields: mean-pooled embedding bags (each row gets grad / bag size).
TEST(NetworkGradCheck, HybridBagMse) { expect_gradients_match("hybrid", Loss::MSE, 0, true); }
TEST(NetworkGradCheck, HybridBagBce) { expect_gradients_match("hybrid", Loss::BCE, 0, true); }
TEST(NetworkGradCheck, HybridBagBpr) { expect_gradients_match("hybrid", Loss::BPR, 0, true); }

TEST(NetworkGradCheck, LazyAdamUpdatesOnlyTheBagRowsTheBatchTouched) {
  FeatureSet features = tiny_features_with_bags(7, 9, 3);
  auto net = Network::create(small_config("hybrid"), 7, 9, &features, 11);
  OptimizerConfig opt;  // lazy row-wise Adam (the default)
  opt.learning_rate = 0.05f;
  net->set_optimizer(opt);
  Batch batch;
  batch.users = {0, 0};
  batch.items = {2, 2};  // item 2's tag bag has 3 values
  batch.labels = {1.0f, 0.0f};
  auto table = [&](const std::string& name) {
    for (auto& t : net->state_dict())
      if (t.name == name) return t.data;
    return std::vector<float>{};
  };
  const auto before = table("item_feature_embeddings.2.weight");
  net->train_step(batch, Loss::BCE, 1);
  const auto after = table("item_feature_embeddings.2.weight");
  const auto& bag = features.items.bag_codes[2];
  const std::set<std::int32_t> touched(bag.begin() + features.items.bag_offsets[2][2],
                                       bag.begin() + features.items.bag_offsets[2][3]);
  ASSERT_GT(touched.size(), 1u);
  for (std::int32_t row = 0; row < 6; ++row)
    for (std::size_t d = 0; d < 2; ++d) {
      const std::size_t k = static_cast<std::size_t>(row) * 2 + d;
      if (touched.count(row))
        EXPECT_NE(after[k], before[k]) << "row " << row << " is in the bag";
      else
        EXPECT_EQ(after[k], before[k]) << "row " << row << " is not in the batch";
    }
}

TEST(NetworkGradCheck, NewUserScoredFromItsBagEqualsScoreAll) {
  FeatureSet features = tiny_features_with_bags(7, 9, 3);
  auto net = Network::create(small_config("hybrid"), 7, 9, &features, 11);
  std::vector<bool> users_seen(7, true), items_seen(9, true);
  users_seen[5] = false;  // user 5's bag has 3 values (1 + 5 % 3)
  net->set_seen(users_seen, items_seen);
  const std::uint32_t user = 5;
  std::vector<float> all(9), fresh(9), first_only(9);
  net->score_all(std::span<const std::uint32_t>(&user, 1), all.data());
  const auto& f = features.users;
  const CategoricalBags bags = {std::vector<std::int32_t>(f.bag_codes[0].begin() + f.bag_offsets[0][5],
                                                          f.bag_codes[0].begin() + f.bag_offsets[0][6])};
  ASSERT_EQ(bags[0].size(), 3u);
  const std::int32_t code = f.categorical[0][5];
  net->score_new_user(f.dense.row(5).data(), &code, fresh.data(), &bags);
  for (std::size_t i = 0; i < 9; ++i) EXPECT_NEAR(fresh[i], all[i], 1e-6f) << i;
  // Only the first value instead of the bag scores differently (unless the bag repeats it).
  net->score_new_user(f.dense.row(5).data(), &code, first_only.data());
  if (std::set<std::int32_t>(bags[0].begin(), bags[0].end()).size() > 1) {
    double diff = 0;
    for (std::size_t i = 0; i < 9; ++i) diff += std::abs(first_only[i] - all[i]);
    EXPECT_GT(diff, 1e-6);
  }
}

TEST(NetworkGradCheck, GmfBranchAddsTablesAndWidensTheOutputLinear) {
  FeatureSet features = tiny_features(5, 6, 1);
  auto net = Network::create(small_config("hybrid", 3), 5, 6, &features, 1);
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (auto& t : net->state_dict()) shapes[t.name] = t.shape;
  // The unknown rows as in the id tables; the output Linear reads [h_last | gmf].
  EXPECT_EQ(shapes.at("mf_user_embedding.weight"), (std::vector<std::int64_t>{6, 3}));
  EXPECT_EQ(shapes.at("mf_item_embedding.weight"), (std::vector<std::int64_t>{7, 3}));
  EXPECT_EQ(shapes.at("mlp.8.weight"), (std::vector<std::int64_t>{1, 3 + 3}));
  auto ncf = Network::create(small_config("ncf", 2), 5, 6, nullptr, 1);
  for (auto& t : ncf->state_dict()) shapes[t.name] = t.shape;
  EXPECT_EQ(shapes.at("mf_user_embedding.weight"), (std::vector<std::int64_t>{5, 2}));
  EXPECT_EQ(shapes.at("mf_item_embedding.weight"), (std::vector<std::int64_t>{6, 2}));
}

TEST(NetworkGradCheck, HybridStateDictHasEveryPyTorchTensor) {
  FeatureSet features = tiny_features(5, 6, 1);
  ModelConfig c = small_config("hybrid");
  auto net = Network::create(c, 5, 6, &features, 1);
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (auto& t : net->state_dict()) shapes[t.name] = t.shape;
  const std::map<std::string, std::vector<std::int64_t>> expected = {
      {"user_embedding.weight", {6, 4}},         {"item_embedding.weight", {7, 4}},
      {"user_feature_embeddings.0.weight", {4, 2}}, {"item_feature_embeddings.0.weight", {3, 2}},
      {"item_feature_embeddings.1.weight", {5, 2}}, {"user_content.weight", {4, 3 + 2}},
      {"user_content.bias", {4}},                {"item_content.weight", {4, 2 + 4}},
      {"item_content.bias", {4}},                {"mlp.0.weight", {6, 16}},
      {"mlp.0.bias", {6}},                       {"mlp.3.weight", {5, 6}},
      {"mlp.3.bias", {5}},                       {"mlp.6.weight", {3, 5}},
      {"mlp.6.bias", {3}},                       {"mlp.8.weight", {1, 3}},
      {"mlp.8.bias", {1}}};
  EXPECT_EQ(shapes, expected);
  // 2 x (in * out) per Linear, content branches included.
  EXPECT_DOUBLE_EQ(net->flops_per_sample(), 2.0 * (16 * 6 + 6 * 5 + 5 * 3 + 3 + 4 * 5 + 4 * 6));
}

TEST(NetworkGradCheck, LossNamesParse) {
  EXPECT_EQ(parse_loss("MSELoss"), Loss::MSE);
  EXPECT_EQ(parse_loss("bce"), Loss::BCE);
  EXPECT_EQ(parse_loss("BPRLoss"), Loss::BPR);
  EXPECT_ANY_THROW(parse_loss("HingeLoss"));
}

}  // namespace
}  // namespace hybridrec
