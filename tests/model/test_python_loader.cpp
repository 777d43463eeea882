// A model folder written in C++ loads in PyTorch (python/hybridrec/load.py) and
// gives the same predictions there as Network::predict here. The folder is written
// twice: by hand in the documented layout (the contract in load.py's docstring) and
// by the trainer's own writer, ModelBundle::save.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "data/id_map.h"
#include "model/abilities.h"
#include "model/model_families.h"
#include "model/network.h"
#include "model/safetensors.h"
#include "test_support.h"
#include "train/model_bundle.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kUsers = 11, kItems = 13;

// OpenBLAS tuning variables set for the C++ benchmarks upset Debian's torch; drop them.
const std::string kPython = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3";

bool python_has_torch() { return std::system((kPython + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0; }

#define REQUIRE_TORCH()                                                                      \
  do {                                                                                       \
    if (!python_has_torch()) {                                                               \
      if (::hybridrec::testing::in_ci()) FAIL() << "/usr/bin/python3 cannot import torch";   \
      GTEST_SKIP() << "/usr/bin/python3 cannot import torch (install python3-torch)";        \
    }                                                                                        \
  } while (0)

ModelConfig small_config(const std::string& type) {
  ModelConfig c;
  c.type = type;
  c.embedding_dim = 6;
  c.hidden_layers = {16, 8, 4};
  c.dropout_rate = 0.2f;  // irrelevant to predictions, but must round-trip through config.json
  c.content_dim = 5;
  c.feature_embedding_dim = 3;
  return c;
}

EntityFeatures random_features(std::size_t n, std::size_t dense_dim, std::vector<std::int32_t> cards,
                               std::mt19937& rng) {
  EntityFeatures f;
  f.dense = RowMatrix(n, dense_dim);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (std::size_t i = 0; i < n * dense_dim; ++i) f.dense.data()[i] = unit(rng);
  for (std::size_t j = 0; j < dense_dim; ++j) f.dense_names.push_back("d" + std::to_string(j));
  for (std::size_t j = 0; j < cards.size(); ++j) {
    f.categorical_names.push_back("c" + std::to_string(j));
    std::uniform_int_distribution<std::int32_t> code(0, cards[j] - 1);
    std::vector<std::int32_t> column(n);
    for (auto& c : column) c = code(rng);
    f.categorical.push_back(std::move(column));
  }
  f.categorical_cardinality = std::move(cards);
  return f;
}

// Makes field j multi-valued: 1..3 codes per entity (nn.EmbeddingBag(mode="mean") in PyTorch).
void make_bag(EntityFeatures& f, std::size_t j, std::mt19937& rng) {
  f.bag_offsets.assign(f.num_categorical(), {});
  f.bag_codes.assign(f.num_categorical(), {});
  f.bag_offsets[j] = {0};
  for (std::size_t e = 0; e < f.size(); ++e) {
    for (std::size_t k = 0; k <= e % 3; ++k)
      f.bag_codes[j].push_back(static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(f.categorical_cardinality[j])));
    f.bag_offsets[j].push_back(static_cast<std::uint32_t>(f.bag_codes[j].size()));
    f.categorical[j][e] = f.bag_codes[j][f.bag_offsets[j][e]];
  }
}

FeatureSet random_feature_set() {
  std::mt19937 rng(99);
  FeatureSet fs;
  fs.users = random_features(kUsers, 4, {3}, rng);
  fs.items = random_features(kItems, 3, {4, 5}, rng);
  make_bag(fs.items, 1, rng);  // a tag list: every value mean-pooled
  return fs;
}

void add_bag_tensors(std::vector<NamedTensor>& out, const std::string& side, const EntityFeatures& f) {
  for (std::size_t j = 0; j < f.num_categorical(); ++j) {
    if (!f.is_bag(j)) continue;
    const std::string name = side + "_bag." + std::to_string(j);
    out.push_back({name + ".offsets", {static_cast<std::int64_t>(f.bag_offsets[j].size())},
                   std::vector<float>(f.bag_offsets[j].begin(), f.bag_offsets[j].end())});
    out.push_back({name + ".codes", {static_cast<std::int64_t>(f.bag_codes[j].size())},
                   std::vector<float>(f.bag_codes[j].begin(), f.bag_codes[j].end())});
  }
}

// A network that is not at its initial weights: a few lazy-Adam steps on random pairs.
void train_a_little(Network& net) {
  OptimizerConfig opt;
  opt.learning_rate = 0.05f;
  net.set_optimizer(opt);
  std::mt19937 rng(3);
  for (int step = 0; step < 5; ++step) {
    Batch b;
    for (int k = 0; k < 16; ++k) {
      b.users.push_back(rng() % kUsers);
      b.items.push_back(rng() % kItems);
      b.labels.push_back(static_cast<float>(rng() % 2));
    }
    net.train_step(b, Loss::BCE, step);
  }
}

std::unique_ptr<Network> trained_network(const std::string& type, const FeatureSet& features) {
  auto net = Network::create(small_config(type), kUsers, kItems, &features, 5);
  train_a_little(*net);
  return net;
}

IdMap make_ids(const std::string& prefix, std::size_t n) {
  IdMap m;
  for (std::size_t i = 0; i < n; ++i) m.intern(prefix + std::to_string(i * 7 + 1));
  return m;
}

NamedTensor table(const std::string& name, const RowMatrix& m) {
  return {name, {m.rows(), m.cols()}, std::vector<float>(m.data(), m.data() + m.size())};
}
NamedTensor codes(const std::string& name, const EntityFeatures& f) {
  const auto n = static_cast<std::int64_t>(f.size()), c = static_cast<std::int64_t>(f.num_categorical());
  NamedTensor t{name, {n, c}, std::vector<float>(static_cast<std::size_t>(n * c))};
  for (std::int64_t j = 0; j < c; ++j)
    for (std::int64_t i = 0; i < n; ++i) t.data[i * c + j] = static_cast<float>(f.categorical[j][i]);
  return t;
}

// The layout documented in python/hybridrec/load.py, written field by field.
void write_documented_layout(const fs::path& dir, const Network& net, const FeatureSet& features) {
  nlohmann::json config = {{"model", net.config().to_json()}, {"num_users", kUsers}, {"num_items", kItems}};
  if (net.config().type == "hybrid") {
    config["features"] = {{"user_dense_dim", features.users.dense_dim()},
                          {"item_dense_dim", features.items.dense_dim()},
                          {"user_cat_cardinalities", features.users.categorical_cardinality},
                          {"item_cat_cardinalities", features.items.categorical_cardinality},
                          {"user_cat_bags", features.users.bag_fields()},
                          {"item_cat_bags", features.items.bag_fields()}};
    std::vector<NamedTensor> tensors{table("user_dense", features.users.dense), codes("user_categorical", features.users),
                                     table("item_dense", features.items.dense), codes("item_categorical", features.items)};
    add_bag_tensors(tensors, "user", features.users);
    add_bag_tensors(tensors, "item", features.items);
    save_safetensors(dir / "features.safetensors", tensors);
  }
  write_json_atomic(dir / "config.json", config);
  save_safetensors(dir / "model.safetensors", net.state_dict());
  make_ids("u", kUsers).save(dir / "user_id_map.json");
  make_ids("i", kItems).save(dir / "item_id_map.json");
}

void write_bundle_layout(const fs::path& dir, const std::string& type) {
  ModelBundle bundle;
  bundle.features = random_feature_set();
  bundle.config = {{"model", small_config(type).to_json()}};
  bundle.users = make_ids("u", kUsers);
  bundle.items = make_ids("i", kItems);
  // The family made by the table, its network created as the pipeline creates it
  // (same seed and threads as trained_network, so the same weights).
  Dataset ids;
  ids.users = bundle.users;
  ids.items = bundle.items;
  TrainingContext context;
  context.dataset = &ids;
  context.features = &bundle.features;
  context.config = bundle.config;
  context.seed = 5;
  context.threads = 1;
  bundle.recommender = make_model(type, bundle.config);
  SgdTrainable* sgd = bundle.recommender->sgd_trainable();
  ASSERT_NE(sgd, nullptr);
  sgd->create_network(context);
  train_a_little(sgd->network());
  bundle.seen.assign(kUsers, {});
  bundle.popularity.assign(kItems, 0.0f);
  bundle.save(dir);
}

void expect_python_matches(const nlohmann::json& answer, const Network& net, const std::string& python_class) {
  ASSERT_TRUE(answer.is_object()) << "no answer from check_scores.py";
  EXPECT_EQ(answer.at("class"), python_class);
  EXPECT_EQ(answer.at("user_ids"), nlohmann::json(make_ids("u", kUsers).ids()));
  EXPECT_EQ(answer.at("item_ids"), nlohmann::json(make_ids("i", kItems).ids()));

  std::vector<std::uint32_t> users, items;
  for (std::uint32_t u = 0; u < kUsers; ++u)
    for (std::uint32_t i = 0; i < kItems; ++i) users.push_back(u), items.push_back(i);
  std::vector<float> expected(users.size());
  net.predict(users, items, expected.data());

  const auto& got = answer.at("predictions");
  ASSERT_EQ(got.size(), expected.size());
  double spread = 0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    const double p = got[k].get<double>();
    EXPECT_NEAR(p, expected[k], 1e-5 * std::abs(expected[k]) + 1e-6)
        << "user " << users[k] << " item " << items[k];
    spread = std::max(spread, static_cast<double>(std::abs(expected[k] - expected[0])));
  }
  // Predictions that all coincide would make the comparison meaningless.
  EXPECT_GT(spread, 1e-3);
}

// One test for the four folders (ncf, hybrid) x (documented layout, ModelBundle::save)
// so that torch is imported once: that import costs seconds, the rest milliseconds.
TEST(PythonLoader, ModelFoldersWrittenInCppScoreTheSameInPyTorch) {
  REQUIRE_TORCH();
  const auto root = testing::scratch_dir("models");
  const auto features = random_feature_set();
  nlohmann::json pairs = nlohmann::json::array();
  for (std::size_t u = 0; u < kUsers; ++u)
    for (std::size_t i = 0; i < kItems; ++i) pairs.push_back({u, i});

  struct Case { std::string type; bool via_bundle; fs::path dir; };
  std::vector<Case> cases;
  std::string dirs;
  for (const std::string type : {"ncf", "hybrid"})
    for (bool via_bundle : {false, true}) {
      Case c{type, via_bundle, root / (type + (via_bundle ? "_bundle" : "_documented"))};
      fs::create_directories(c.dir);
      if (via_bundle)
        write_bundle_layout(c.dir, type);
      else
        write_documented_layout(c.dir, *trained_network(type, features), features);
      write_json_atomic(c.dir / "pairs.json", {{"pairs", pairs}});
      dirs += " '" + c.dir.string() + "'";
      cases.push_back(c);
    }

  const std::string command = "cd '" + std::string(HYBRIDREC_SOURCE_DIR) + "' && " + kPython +
                              " python/tests/check_scores.py" + dirs + " > '" + (root / "scores.json").string() +
                              "' 2> '" + (root / "stderr.txt").string() + "'";
  const int rc = std::system(command.c_str());
  ASSERT_EQ(rc, 0) << "check_scores.py failed:\n" << read_file(root / "stderr.txt");
  const auto answers = read_json(root / "scores.json");

  for (const auto& c : cases) {
    SCOPED_TRACE(c.dir.filename().string());
    // Rebuilt from the same seeds, the network predicts exactly what was saved.
    auto net = trained_network(c.type, features);
    ASSERT_TRUE(answers.contains(c.dir.string()));
    expect_python_matches(answers.at(c.dir.string()), *net,
                          c.type == "ncf" ? "NeuralCollaborativeFiltering" : "HybridRecommender");
  }
}

}  // namespace
}  // namespace hybridrec
