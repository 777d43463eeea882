// The C++ Network against PyTorch: each fixture in tests/fixtures/engine/ holds the
// initial weights of python/hybridrec/models.py at small sizes, a batch, and what
// PyTorch computed from them (predictions, loss, every gradient, the parameters and
// Adam moments after 1 and 3 steps of torch.optim.Adam on that batch). We load the
// same weights, replay the steps with dense Adam and dropout 0, and compare.
// Regenerate the fixtures with: /usr/bin/python3 python/tools/make_engine_fixtures.py
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/network.h"
#include "model/safetensors.h"
#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

// PyTorch runs float32 too; 1e-5 relative leaves room for a different summation
// order, and the generator has checked every stored value is stable to 1e-6 of its
// float64 value, so a miss here is a real difference, not rounding.
constexpr double kRel = 1e-5, kAbs = 1e-6;

struct Fixture {
  std::string name;
  std::map<std::string, NamedTensor> tensors;
  std::map<std::string, std::string> meta;

  const NamedTensor& at(const std::string& key) const {
    auto it = tensors.find(key);
    if (it == tensors.end()) throw std::runtime_error(name + ": fixture has no tensor '" + key + "'");
    return it->second;
  }
  // The parameters under a prefix ("init.", "grad.", "step1."...), keyed by state_dict name.
  std::map<std::string, NamedTensor> group(const std::string& prefix) const {
    std::map<std::string, NamedTensor> out;
    for (const auto& [key, t] : tensors)
      if (key.rfind(prefix, 0) == 0) {
        NamedTensor copy = t;
        copy.name = key.substr(prefix.size());
        out.emplace(copy.name, std::move(copy));
      }
    return out;
  }
  int meta_int(const std::string& key) const { return std::stoi(meta.at(key)); }
  float meta_float(const std::string& key) const { return std::stof(meta.at(key)); }
};

Fixture load_fixture(const std::string& name) {
  Fixture f;
  f.name = name;
  auto path = fs::path(HYBRIDREC_TEST_DATA) / "engine" / (name + ".safetensors");
  for (auto& t : load_safetensors(path, &f.meta)) f.tensors.emplace(t.name, std::move(t));
  return f;
}

ModelConfig config_of(const Fixture& f) {
  ModelConfig c;
  c.type = f.meta.at("model");
  c.embedding_dim = f.meta_int("embedding_dim");
  c.hidden_layers = nlohmann::json::parse(f.meta.at("hidden_layers")).get<std::vector<int>>();
  c.dropout_rate = 0.0f;  // PyTorch ran with dropout off
  c.content_dim = f.meta_int("content_dim");
  c.feature_embedding_dim = f.meta_int("feature_embedding_dim");
  if (f.meta.count("gmf_dim")) c.gmf_dim = f.meta_int("gmf_dim");  // neumf_*, hybrid_gmf_*: the GMF branch
  return c;
}

EntityFeatures entity_features(const Fixture& f, const std::string& side) {
  const auto& dense = f.at("features." + side + "_dense");
  const auto& cats = f.at("features." + side + "_categorical");
  EntityFeatures e;
  const auto rows = dense.shape[0], dense_cols = dense.shape[1], fields = cats.shape[1];
  e.dense = Eigen::Map<const RowMatrix>(dense.data.data(), rows, dense_cols);
  for (std::int64_t j = 0; j < dense_cols; ++j) e.dense_names.push_back(side + "_dense" + std::to_string(j));
  e.categorical_cardinality =
      nlohmann::json::parse(f.meta.at(side == "user" ? "user_cat_cardinalities" : "item_cat_cardinalities"))
          .get<std::vector<std::int32_t>>();
  for (std::int64_t j = 0; j < fields; ++j) {
    e.categorical_names.push_back(side + "_cat" + std::to_string(j));
    std::vector<std::int32_t> column;
    for (std::int64_t r = 0; r < rows; ++r) column.push_back(static_cast<std::int32_t>(cats.data[r * fields + j]));
    e.categorical.push_back(std::move(column));
  }
  // hybrid_bag_*: multi-valued fields, nn.EmbeddingBag(mode="mean") in PyTorch.
  e.bag_offsets.assign(static_cast<std::size_t>(fields), {});
  e.bag_codes.assign(static_cast<std::size_t>(fields), {});
  for (std::int64_t j = 0; j < fields; ++j) {
    const std::string key = "features." + side + "_bag." + std::to_string(j);
    if (!f.tensors.count(key + ".offsets")) continue;
    for (float x : f.at(key + ".offsets").data) e.bag_offsets[j].push_back(static_cast<std::uint32_t>(x));
    for (float x : f.at(key + ".codes").data) e.bag_codes[j].push_back(static_cast<std::int32_t>(x));
  }
  return e;
}

Batch batch_of(const Fixture& f) {
  Batch b;
  for (float u : f.at("batch.users").data) b.users.push_back(static_cast<std::uint32_t>(u));
  for (float i : f.at("batch.items").data) b.items.push_back(static_cast<std::uint32_t>(i));
  b.labels = f.at("batch.labels").data;
  b.weights = f.at("batch.weights").data;
  b.group_size = f.meta_int("group_size");
  return b;
}

// Compares two tensors value by value; reports the tensor, the count of misses and
// the worst index so a failure says exactly what differs.
void expect_close(const std::string& what, const std::vector<float>& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size()) << what << ": size differs";
  std::size_t misses = 0, worst = 0;
  double worst_excess = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    double a = actual[i], e = expected[i];
    double allowed = kRel * std::abs(e) + kAbs;
    double excess = std::isfinite(a) ? std::abs(a - e) / allowed : 1e30;
    if (excess > 1.0) {
      ++misses;
      if (excess > worst_excess) worst_excess = excess, worst = i;
    }
  }
  EXPECT_EQ(misses, 0u) << what << ": " << misses << " of " << actual.size() << " values differ; worst at flat index "
                        << worst << ": C++ " << actual[worst] << " vs PyTorch " << expected[worst];
}

void expect_same_tensors(const std::string& what, const std::vector<NamedTensor>& actual,
                         const std::map<std::string, NamedTensor>& expected) {
  std::set<std::string> seen;
  for (const auto& t : actual) {
    auto it = expected.find(t.name);
    if (it == expected.end()) {
      ADD_FAILURE() << what << ": C++ has '" << t.name << "', PyTorch does not";
      continue;
    }
    seen.insert(t.name);
    EXPECT_EQ(t.shape, it->second.shape) << what << " " << t.name << ": shape";
    expect_close(what + " " + t.name, t.data, it->second.data);
  }
  for (const auto& [name, t] : expected)
    if (!seen.count(name)) ADD_FAILURE() << what << ": PyTorch has '" << name << "', C++ does not";
}

class PyTorchParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    f_ = load_fixture(GetParam());
    loss_ = parse_loss(f_.meta.at("loss"));
    if (f_.meta.at("model") == "hybrid") {
      features_.users = entity_features(f_, "user");
      features_.items = entity_features(f_, "item");
    }
    net_ = Network::create(config_of(f_), f_.meta_int("num_users"), f_.meta_int("num_items"), &features_, 7);
    std::vector<NamedTensor> init;
    for (auto& [name, t] : f_.group("init.")) init.push_back(t);
    net_->load_state_dict(init);
    OptimizerConfig opt;
    opt.learning_rate = f_.meta_float("learning_rate");
    opt.beta1 = f_.meta_float("beta1");
    opt.beta2 = f_.meta_float("beta2");
    opt.eps = f_.meta_float("eps");
    opt.weight_decay = f_.meta_float("weight_decay");
    opt.lazy_embeddings = false;  // torch.optim.Adam updates every row every step
    net_->set_optimizer(opt);
    net_->set_threads(1);
    batch_ = batch_of(f_);
  }

  Fixture f_;
  FeatureSet features_;
  std::unique_ptr<Network> net_;
  Loss loss_ = Loss::MSE;
  Batch batch_;
};

TEST(PyTorchParityBags, BagFixturesHaveMultiValuedBagsInTheBatch) {
  // The bag fixtures must exercise real bags: samples whose entity has several values.
  for (const char* name : {"hybrid_bag_mse", "hybrid_bag_bce", "hybrid_bag_bpr"}) {
    const Fixture f = load_fixture(name);
    const EntityFeatures items = entity_features(f, "item");
    ASSERT_TRUE(items.is_bag(1)) << name;
    std::size_t multi = 0;
    for (float i : f.at("batch.items").data) {
      const auto e = static_cast<std::size_t>(i);
      multi += items.bag_offsets[1][e + 1] - items.bag_offsets[1][e] > 1;
    }
    EXPECT_GT(multi, 2u) << name;
  }
}

TEST_P(PyTorchParity, StateDictHasPyTorchNamesAndShapes) {
  // Before loading anything: a fresh network must already have PyTorch's layout.
  auto fresh = Network::create(config_of(f_), f_.meta_int("num_users"), f_.meta_int("num_items"), &features_, 3);
  auto expected = f_.group("init.");
  auto actual = fresh->state_dict();
  std::set<std::string> names;
  for (const auto& t : actual) {
    names.insert(t.name);
    ASSERT_TRUE(expected.count(t.name)) << "C++ parameter '" << t.name << "' is not in the PyTorch state_dict";
    EXPECT_EQ(t.shape, expected.at(t.name).shape) << t.name;
  }
  EXPECT_EQ(names.size(), expected.size());
}

TEST_P(PyTorchParity, PredictMatchesSigmoidOfPyTorchLogits) {
  std::vector<float> out(batch_.size());
  net_->predict(batch_.users, batch_.items, out.data());
  expect_close("predictions", out, f_.at("out.predictions").data);
  EXPECT_NEAR(net_->evaluate_loss(batch_, loss_), f_.at("out.losses").data[0],
              kRel * std::abs(f_.at("out.losses").data[0]) + kAbs);

  // score_all takes another route (the first Linear split into a user and an item
  // part); its entries for the batch pairs must match PyTorch as well.
  const std::size_t items = net_->num_items();
  std::vector<float> all(batch_.size() * items);
  net_->score_all(batch_.users, all.data());
  std::vector<float> picked;
  for (std::size_t k = 0; k < batch_.size(); ++k) picked.push_back(all[k * items + batch_.items[k]]);
  expect_close("score_all", picked, f_.at("out.predictions").data);
}

TEST_P(PyTorchParity, OneAdamStepMatchesLossGradientsAndParameters) {
  float loss = net_->train_step(batch_, loss_, 1);
  const float expected_loss = f_.at("out.losses").data[0];
  EXPECT_NEAR(loss, expected_loss, kRel * std::abs(expected_loss) + kAbs) << "loss";
  expect_same_tensors("gradient", net_->last_gradients(), f_.group("grad."));
  expect_same_tensors("after 1 step", net_->state_dict(), f_.group("step1."));
}

TEST_P(PyTorchParity, TwoThreadsMatchPyTorchToo) {
  // The batch is split into per-thread slices whose gradients are summed: a
  // different summation order, still within the tolerance of PyTorch's result.
  net_->set_threads(2);
  float loss = net_->train_step(batch_, loss_, 1);
  EXPECT_NEAR(loss, f_.at("out.losses").data[0], kRel * std::abs(f_.at("out.losses").data[0]) + kAbs);
  expect_same_tensors("gradient (2 threads)", net_->last_gradients(), f_.group("grad."));
  expect_same_tensors("after 1 step (2 threads)", net_->state_dict(), f_.group("step1."));
}

TEST_P(PyTorchParity, ThreeAdamStepsMatchLossesParametersAndMoments) {
  const auto& losses = f_.at("out.losses").data;
  for (std::size_t step = 0; step < losses.size(); ++step) {
    float loss = net_->train_step(batch_, loss_, 100 + step);
    EXPECT_NEAR(loss, losses[step], kRel * std::abs(losses[step]) + kAbs) << "loss of step " << step + 1;
  }
  const std::string after = "after " + std::to_string(losses.size()) + " steps";
  expect_same_tensors(after, net_->state_dict(), f_.group("step" + std::to_string(losses.size()) + "."));

  // Adam moments: PyTorch's exp_avg / exp_avg_sq by parameter.
  auto moments = f_.group("adam" + std::to_string(losses.size()) + ".");
  std::size_t compared = 0;
  for (const auto& t : net_->optimizer_state()) {
    auto it = moments.find(t.name);
    if (it == moments.end()) continue;  // step counters: PyTorch keeps one per tensor
    expect_close(after + " " + t.name, t.data, it->second.data);
    ++compared;
  }
  EXPECT_EQ(compared, moments.size()) << "optimizer_state lacks some <param>.exp_avg / .exp_avg_sq";
}

INSTANTIATE_TEST_SUITE_P(Engine, PyTorchParity,
                         ::testing::Values("ncf_mse", "ncf_bce", "ncf_bpr", "hybrid_mse", "hybrid_bce", "hybrid_bpr",
                                           "neumf_mse", "neumf_bce", "neumf_bpr", "hybrid_gmf_mse", "hybrid_gmf_bce",
                                           "hybrid_gmf_bpr", "hybrid_bag_mse", "hybrid_bag_bce", "hybrid_bag_bpr"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hybridrec
