#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/rng.h"
#include "test_support.h"
#include "tune/search_space.h"

namespace hybridrec::tune {
namespace {

SearchSpace space_of(nlohmann::json params) { return SearchSpace::from_json({{"parameters", params}}, "test.yaml"); }

TEST(SearchSpace, DefaultIsTheSpecificationsSpace) {
  auto space = default_search_space();
  ASSERT_EQ(space.parameters().size(), 7u);
  EXPECT_EQ(space.dimension(), 9);  // batch_size is one-hot over three values
  nlohmann::json j = space.to_json();
  EXPECT_EQ(j[0], nlohmann::json({{"name", "model.embedding_dim"}, {"type", "integer"}, {"min", 32.0}, {"max", 128.0}, {"scaling", "linear"}}));
  // Every parameter is named by the configuration key it sets.
  std::vector<std::string> names;
  for (const auto& p : space.parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"model.embedding_dim", "training.learning_rate", "training.batch_size",
                                             "model.dropout_rate", "model.hidden_layers[0]", "model.hidden_layers[1]",
                                             "model.hidden_layers[2]"}));
  EXPECT_EQ(j[1]["scaling"], "log");
  EXPECT_EQ(j[2]["values"], nlohmann::json({128, 256, 512}));
  EXPECT_EQ(SearchSpace::from_json(j, "stored").to_json(), j);  // the stored form round-trips
}

TEST(SearchSpace, ShortNamesOfOlderSpacesAreReadAsConfigurationKeys) {
  auto space = space_of({{"hidden_layer_2", {{"type", "integer"}, {"min", 8}, {"max", 16}}},
                         {"learning_rate", {{"type", "continuous"}, {"min", 1e-4}, {"max", 1e-2}}},
                         {"training.weight_decay", {{"type", "continuous"}, {"min", 0.0}, {"max", 0.1}}}});
  std::set<std::string> names;
  for (const auto& p : space.parameters()) names.insert(p.name);
  EXPECT_EQ(names, (std::set<std::string>{"model.hidden_layers[1]", "training.learning_rate", "training.weight_decay"}));
  // A short name and its key are the same parameter.
  EXPECT_THROW(space_of({{"embedding_dim", {{"type", "integer"}, {"min", 8}, {"max", 16}}},
                         {"model.embedding_dim", {{"type", "integer"}, {"min", 8}, {"max", 16}}}}),
               ConfigError);
}

TEST(SearchSpace, EveryIntegerRoundTripsAndOwnsAnEqualShareOfTheCube) {
  auto space = space_of({{"h", {{"type", "integer"}, {"min", 16}, {"max", 64}}}});
  for (int v = 16; v <= 64; ++v) EXPECT_EQ(space.decode(space.encode({{"h", v}}))["h"], v);
  std::map<int, int> counts;
  for (int i = 0; i < 49000; ++i) counts[space.decode({(i + 0.5) / 49000.0})["h"].get<int>()]++;
  ASSERT_EQ(counts.size(), 49u);
  for (auto [v, c] : counts) EXPECT_EQ(c, 1000) << v;
  EXPECT_EQ(space.decode({0.0})["h"], 16);
  EXPECT_EQ(space.decode({1.0})["h"], 64);
  EXPECT_THROW(space.encode({{"h", 65}}), ConfigError);
  EXPECT_THROW(space.encode({{"h", 20.5}}), ConfigError);
}

TEST(SearchSpace, LogScaleIsUniformInTheExponent) {
  auto space = space_of({{"lr", {{"type", "continuous"}, {"min", 1e-4}, {"max", 1e-2}, {"scaling", "log"}}}});
  EXPECT_NEAR(space.encode({{"lr", 1e-3}})[0], 0.5, 1e-12);
  EXPECT_NEAR(space.decode({0.25})["lr"].get<double>(), std::pow(10.0, -3.5), 1e-12);
  EXPECT_NEAR(space.decode(space.encode({{"lr", 0.0042}}))["lr"].get<double>(), 0.0042, 1e-12);
  Rng rng(1);
  int below = 0;
  for (int i = 0; i < 4000; ++i) below += space.decode(space.sample(rng))["lr"].get<double>() < 1e-3;
  EXPECT_NEAR(below / 4000.0, 0.5, 0.03);  // half the samples in the lowest decade of two
}

TEST(SearchSpace, CategoricalIsOneHotAndDecodesToTheLargestCoordinate) {
  auto space = space_of({{"batch", {{"type", "categorical"}, {"values", {128, 256, 512}}}},
                         {"loss", {{"type", "categorical"}, {"values", {"MSELoss", "BPRLoss"}}}}});
  EXPECT_EQ(space.dimension(), 5);
  // Parameters are ordered by name in a YAML mapping: batch, loss.
  EXPECT_EQ(space.encode({{"batch", 256}, {"loss", "BPRLoss"}}), (std::vector<double>{0, 1, 0, 0, 1}));
  EXPECT_EQ(space.decode({0.2, 0.1, 0.7, 0.6, 0.4}), nlohmann::json({{"batch", 512}, {"loss", "MSELoss"}}));
  EXPECT_EQ(space.snap({0.2, 0.1, 0.7, 0.6, 0.4}), (std::vector<double>{0, 0, 1, 1, 0}));
  EXPECT_THROW(space.encode({{"batch", 100}, {"loss", "BPRLoss"}}), ConfigError);
  Rng rng(2);
  std::map<int, int> counts;
  for (int i = 0; i < 3000; ++i) counts[space.decode(space.sample(rng))["batch"].get<int>()]++;
  for (int v : {128, 256, 512}) EXPECT_NEAR(counts[v], 1000, 100);
}

TEST(SearchSpace, SnapIsIdempotentOnTheDefaultSpace) {
  auto space = default_search_space();
  Rng rng(5);
  for (int i = 0; i < 200; ++i) {
    std::vector<double> u(static_cast<std::size_t>(space.dimension()));
    for (auto& v : u) v = rng.uniform();
    auto s = space.snap(u);
    EXPECT_EQ(space.snap(s), s);
    auto a = space.decode(s), b = space.decode(u);
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (it->is_number_float()) EXPECT_NEAR(it->get<double>(), b[it.key()].get<double>(), 1e-12) << it.key();
      else EXPECT_EQ(*it, b[it.key()]) << it.key();  // integers and categories exactly
    }
  }
}

TEST(SearchSpace, YamlFileParsesAndBadFieldsNameTheFileAndField) {
  auto dir = testing::scratch_dir("space");
  write_file_atomic(dir / "space.yaml",
                    "parameters:\n"
                    "  learning_rate: {type: continuous, min: 0.0001, max: 0.01, scaling: log}\n"
                    "  embedding_dim: {type: integer, min: 32, max: 128}\n"
                    "  batch_size: {type: categorical, values: [128, 256]}\n");
  auto space = load_search_space(dir / "space.yaml");
  EXPECT_EQ(space.dimension(), 4);
  auto expect_error = [&](const std::string& yaml, const std::string& needle) {
    write_file_atomic(dir / "bad.yaml", yaml);
    try {
      load_search_space(dir / "bad.yaml");
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const ConfigError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("bad.yaml"), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
  };
  expect_error("parameters:\n  lr: {type: continuous, min: 0, max: 0.01, scaling: log}\n", "parameter 'lr': field 'min'");
  expect_error("parameters:\n  lr: {type: real, min: 0, max: 1}\n", "parameter 'lr': field 'type'");
  expect_error("parameters:\n  d: {type: integer, min: 32.5, max: 64}\n", "parameter 'd': field 'min'");
  expect_error("parameters:\n  d: {type: integer, min: 64, max: 32}\n", "parameter 'd': field 'max'");
  expect_error("parameters:\n  b: {type: categorical, values: []}\n", "parameter 'b': field 'values'");
  expect_error("parameters:\n  b: {type: categorical, values: [1, 1]}\n", "duplicate value");
  expect_error("parameters:\n  b: {type: integer, min: 1, max: 3, step: 2}\n", "field 'step'");
  expect_error("parameters: 3\n", "expected `parameters:`");
}

}  // namespace
}  // namespace hybridrec::tune
