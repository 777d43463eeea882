// Issue #17's strict configuration and #15's "one configuration schema":
// configs/default.yaml is the schema and the only source of defaults.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "data/features.h"
#include "data/positives.h"
#include "data/split.h"
#include "model/baselines.h"
#include "model/model_config.h"
#include "test_support.h"
#include "train/config.h"
#include "train/config_schema.h"
#include "train/memory_estimate.h"
#include "train/pipeline.h"

namespace hybridrec {
namespace {

using nlohmann::json;

// The message of the ConfigError that loading throws ("" if none is thrown).
std::string refusal(const std::vector<std::string>& sets, const std::string& yaml = "") {
  std::optional<std::filesystem::path> file;
  if (!yaml.empty()) {
    file = testing::scratch_dir("config-schema") / "config.yaml";
    std::ofstream(*file) << yaml;
  }
  try {
    load_config(file, sets);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("NOT A ConfigError: ") + e.what();
  }
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(ConfigSchema, TheShippedDefaultsPassTheirOwnSchema) {
  json config = default_config();
  EXPECT_NO_THROW(check_config(config));
  EXPECT_EQ(config, default_config());  // nothing rewritten
}

// Every number and enumeration of the YAML has a documented, enforced range.
TEST(ConfigSchema, EveryNumberOfTheDefaultsHasARange) {
  std::function<void(const json&, const std::string&)> walk = [&](const json& node, const std::string& key) {
    if (node.is_object()) {
      if (is_open_section(key)) return;
      for (auto it = node.begin(); it != node.end(); ++it) walk(it.value(), key.empty() ? it.key() : key + "." + it.key());
    } else if (node.is_number() || (node.is_array() && !node.empty() && node[0].is_number()) ||
               (node.is_string() && node.get<std::string>() == "auto")) {
      EXPECT_FALSE(config_key_range(key).empty()) << key << " has no rule in src/train/config_schema.cpp";
    }
  };
  walk(default_config(), "");
  EXPECT_EQ(config_key_range("data.negative_sampling_ratio"), "an integer in [1, 1000]");
}

TEST(ConfigSchema, UnknownKeysAreRefusedInFilesAsInSetWithASuggestion) {
  const std::string in_file = refusal({}, "model:\n  embeding_dim: 8\n");
  expect_contains(in_file, "config.yaml");
  expect_contains(in_file, "unknown configuration key 'model.embeding_dim'");
  expect_contains(in_file, "did you mean 'model.embedding_dim'?");
  const std::string in_set = refusal({"training.learnig_rate=0.1"});
  expect_contains(in_set, "did you mean 'training.learning_rate'?");
  // A key put in the wrong section is found in the right one.
  expect_contains(refusal({}, "training:\n  embedding_dim: 8\n"), "did you mean 'model.embedding_dim'?");
  expect_contains(refusal({}, "modle:\n  embedding_dim: 8\n"), "did you mean 'model'?");
  // The free-form sections take any key.
  EXPECT_EQ(refusal({"data.item_roles.title=ignore"}, "data:\n  user_roles: {age: numeric}\n"), "");
}

TEST(ConfigSchema, IntegersMustBeIntegers) {
  const std::string msg = refusal({}, "model:\n  embedding_dim: 8.7\n");
  expect_contains(msg, "model.embedding_dim = 8.7 is not an integer");
  expect_contains(msg, "an integer in [1, 4096]");
  // 8.0 is the integer 8, recorded as such.
  EXPECT_EQ(load_config(std::nullopt, {"model.embedding_dim=8.0"})["model"]["embedding_dim"], json(8));
  EXPECT_TRUE(load_config(std::nullopt, {"model.embedding_dim=8.0"})["model"]["embedding_dim"].is_number_integer());
  expect_contains(refusal({"model.hidden_layers=[64, 31.5]"}), "model.hidden_layers[1] = 31.5 is not an integer");
}

TEST(ConfigSchema, NanAndInfinityAreRefused) {
  expect_contains(refusal({"model.dropout_rate=nan"}), "model.dropout_rate = nan is not finite");
  expect_contains(refusal({"data.train_ratio=nan"}), "data.train_ratio = nan is not finite");
  expect_contains(refusal({"training.learning_rate=inf"}), "is not finite");
  // YAML's own spelling is text, not a number.
  expect_contains(refusal({}, "training:\n  learning_rate: .inf\n"), "training.learning_rate = \".inf\" is not a number");
  expect_contains(refusal({"training.learning_rate=1e999"}), "is not a number");
}

TEST(ConfigSchema, SplitRatiosMustSumToOne) {
  const std::string msg = refusal({"data.train_ratio=0.8"});
  expect_contains(msg, "must sum to 1");
  expect_contains(msg, "0.8 + 0.1 + 0.2");
  EXPECT_EQ(refusal({"data.train_ratio=0.8", "data.val_ratio=0.0"}), "");
  EXPECT_EQ(refusal({"data.train_ratio=0.7000000001"}), "");  // within 1e-6
}

TEST(ConfigSchema, RangeErrorsNameTheKeyTheValueAndTheRange) {
  const std::string msg = refusal({"data.negative_sampling_ratio=100000"});
  expect_contains(msg, "data.negative_sampling_ratio = 100000 is out of range");
  expect_contains(msg, "an integer in [1, 1000]");
  expect_contains(refusal({"model.dropout_rate=1"}), "a number in [0, 1)");
  expect_contains(refusal({"training.loss_function=MSE"}), "one of: MSELoss | BCELoss | BPRLoss");
  expect_contains(refusal({"model.type=hybird"}), "did you mean 'hybrid'?");
  expect_contains(refusal({"model.ease.lambda=-1"}), "auto or a number in (0, 1e+12]");
  EXPECT_EQ(refusal({"model.ease.lambda=auto", "model.ials.factors=32", "model.ials.seed=null"}), "");
  expect_contains(refusal({"evaluation.baselines=[popularity, ease]"}), "evaluation.baselines[1]");
}

TEST(ConfigSchema, WrongKindsNeverLeakLibraryText) {
  for (const auto& set : std::vector<std::string>{"model.hidden_layers=abc", "training.batch_size=[1]",
                                                  "data.columns=3", "evaluation.k=5", "model={a: 1}",
                                                  "distributed.shard_data=1"}) {
    const std::string msg = refusal({set});
    EXPECT_FALSE(msg.empty()) << set;
    EXPECT_EQ(msg.find("json.exception"), std::string::npos) << set << ": " << msg;
    EXPECT_EQ(msg.find("NOT A ConfigError"), std::string::npos) << set << ": " << msg;
    expect_contains(msg, set.substr(0, set.find('=')));
  }
}

TEST(ConfigSchema, YamlSizeAndAliasExpansionAreBounded) {
  // The "billion laughs": nine levels of ten aliases each expand to 10^9 values.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'j'; ++level) {
    const char prev = static_cast<char>(level - 1);
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  const std::string msg = refusal({}, bomb);
  expect_contains(msg, "alias");
  expect_contains(refusal({}, "model:\n  type: hybrid\n" + std::string(kMaxConfigBytes, '#')), "bytes");
  std::string deep(200, '[');
  expect_contains(refusal({"model.hidden_layers=" + deep + std::string(200, ']')}), "deeper");
}

// #15: a struct's default that differs from configs/default.yaml fails here.
// The structs keep their member defaults (library callers and tests build them
// directly), so the YAML is checked against them rather than replacing them.
// Keys the YAML sets to `auto` are chosen from the data and have no fixed value.
TEST(ConfigSchema, StructDefaultsEqualTheYaml) {
  const json yaml = default_config();
  // ModelConfig: model.id_dropout_rate is `auto` in the YAML (measured on the
  // data, model/id_dropout_choice.h); the struct keeps 0 = off for hand-built
  // networks. Every other key must agree.
  const ModelConfig model_yaml = ModelConfig::from_json(yaml["model"]);
  EXPECT_TRUE(model_yaml.id_dropout_auto);
  json from_yaml = model_yaml.to_json();
  json from_struct = ModelConfig{}.to_json();
  from_yaml.erase("id_dropout_rate");
  from_struct.erase("id_dropout_rate");
  EXPECT_EQ(from_yaml, from_struct);

  // PositiveWeighting: the half-life is `auto` in the YAML (train/recency_choice.h);
  // the struct keeps off for hand-built weightings. The rest must agree.
  const PositiveWeighting weighting_yaml = PositiveWeighting::from_config(yaml), weighting_struct;
  EXPECT_TRUE(weighting_yaml.recency_auto);
  EXPECT_EQ(weighting_yaml.recency_by_sampling, weighting_struct.recency_by_sampling);
  for (int e = 0; e < 4; ++e) EXPECT_EQ(weighting_yaml.event_weights[e], weighting_struct.event_weights[e]) << e;

  EXPECT_EQ(FeatureConfig::from_json(yaml["content_features"]).to_json(), FeatureConfig{}.to_json());
  EXPECT_EQ(feature_config_from(yaml).to_json(), FeatureConfig{}.to_json());

  const SplitConfig split = split_config_from(yaml), plain;
  EXPECT_EQ(split.strategy, plain.strategy);
  EXPECT_EQ(split.train_ratio, plain.train_ratio);
  EXPECT_EQ(split.val_ratio, plain.val_ratio);
  EXPECT_EQ(split.test_ratio, plain.test_ratio);
  EXPECT_EQ(split.last_n, plain.last_n);
  EXPECT_EQ(split.seed, plain.seed);

  const TrainingConfig t = TrainingConfig::from_json(yaml), tp;
  EXPECT_EQ(t.optimizer.learning_rate, tp.optimizer.learning_rate);
  EXPECT_EQ(t.optimizer.beta1, tp.optimizer.beta1);
  EXPECT_EQ(t.optimizer.beta2, tp.optimizer.beta2);
  EXPECT_EQ(t.optimizer.weight_decay, tp.optimizer.weight_decay);
  EXPECT_EQ(t.optimizer.lazy_embeddings, tp.optimizer.lazy_embeddings);
  EXPECT_EQ(t.batch_size, tp.batch_size);
  EXPECT_EQ(t.num_epochs, tp.num_epochs);
  EXPECT_EQ(t.loss, tp.loss);
  EXPECT_EQ(t.early_stopping_patience, tp.early_stopping_patience);
  EXPECT_EQ(t.early_stopping_metric, tp.early_stopping_metric);
  EXPECT_EQ(t.lr_factor, tp.lr_factor);
  EXPECT_EQ(t.lr_patience, tp.lr_patience);
  EXPECT_EQ(t.min_lr, tp.min_lr);
  EXPECT_EQ(t.threads, tp.threads);
  EXPECT_EQ(t.seed, tp.seed);
  EXPECT_EQ(t.negatives_per_positive, tp.negatives_per_positive);

  const PopularityWeights w = PopularityWeights::from_config(yaml), wp;
  for (Event ev : {Event::View, Event::AddToCart, Event::Purchase, Event::Rating}) EXPECT_EQ(w.of(ev), wp.of(ev));

  const EvalOptions e = eval_options(yaml, "test", false), ep;
  EXPECT_EQ(e.ks, ep.ks);
  EXPECT_EQ(e.group_by, ep.group_by);
  EXPECT_EQ(e.threads, ep.threads);
  EXPECT_EQ(e.seed, ep.seed);
  EXPECT_EQ(e.negatives_per_positive, ep.negatives_per_positive);
}

// evaluate and train read the evaluation settings through the same function.
TEST(ConfigSchema, EvaluationOptionsFollowTheConfiguration) {
  const json config = load_config(std::nullopt, {"evaluation.k=[3, 7]", "data.negative_sampling_ratio=9"});
  const EvalOptions e = eval_options(config, "validation", true);
  EXPECT_EQ(e.ks, (std::vector<int>{3, 7}));
  EXPECT_EQ(e.negatives_per_positive, 9);
  EXPECT_EQ(e.part, "validation");
  const json features = load_config(std::nullopt, {"content_features.max_one_hot=3"});
  EXPECT_EQ(feature_config_from(features).max_one_hot, 3);
}

TEST(MemoryEstimate, AModelTooLargeIsRefusedWithTheEstimateBeforeAllocation) {
  json config = load_config(std::nullopt, {"model.embedding_dim=4096", "training.max_memory_gb=1"});
  const auto estimate = estimate_model_memory(config, "hybrid", 1000000, 100000);
  // 1.1M rows x 4096 floats x 4 bytes x 4 (value, gradient, two Adam moments) = 72 GB.
  EXPECT_NEAR(estimate.bytes / 1e9, 1100002.0 * 4096 * 16 / 1e9, 0.1);
  try {
    refuse_above_memory_limit(config, "hybrid", 1000000, 100000);
    FAIL() << "not refused";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    expect_contains(msg, "72.1 GB");
    expect_contains(msg, "training.max_memory_gb");
  }
  EXPECT_NO_THROW(refuse_above_memory_limit(config, "hybrid", 1000, 1000));
  EXPECT_NO_THROW(refuse_above_memory_limit(config, "popularity", 1000000, 100000));
  // Without a limit set, 80% of the physical memory: the default model on a small
  // dataset fits, a petabyte does not.
  const json defaults = default_config();
  EXPECT_NO_THROW(refuse_above_memory_limit(defaults, "hybrid", 10000, 10000));
  EXPECT_THROW(refuse_above_memory_limit(load_config(std::nullopt, {"model.embedding_dim=4096"}), "hybrid",
                                         4000000000ULL, 1000000),
               ConfigError);
}

}  // namespace
}  // namespace hybridrec

// Found by fuzz_yaml_config (issue #17): a byte that is not UTF-8 in a value
// escaped as a raw nlohmann type_error while the refusal was being printed.
// The kept input is fuzz/corpus/fuzz_yaml_config/crash-non-utf8-value.
TEST(ConfigSchema, ATextThatIsNotUtf8IsRefusedNamingItsLine) {
  const auto file = hybridrec::testing::scratch_dir("config-utf8") / "config.yaml";
  std::ofstream(file) << "model:\n  embedding_dim: \x82" "8.7\n";
  try {
    hybridrec::load_config(file, {});
    ADD_FAILURE() << "a non-UTF-8 configuration was accepted";
  } catch (const hybridrec::Error& e) {
    const std::string why = e.what();
    EXPECT_NE(why.find("UTF-8"), std::string::npos) << why;
    EXPECT_NE(why.find(":2"), std::string::npos) << "names line 2: " << why;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "a raw library exception escaped: " << e.what();
  }
  EXPECT_THROW(hybridrec::load_config(std::nullopt, {"model.embedding_dim=\x82"}), hybridrec::Error) << "in --set too";
}
