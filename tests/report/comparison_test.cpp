// `models compare` / `runs compare`: the own metrics first, then differences only.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/atomic_file.h"
#include "report/comparison.h"
#include "test_support.h"

namespace hybridrec::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

store::RunRecord run(const std::string& id, const std::string& learning_rate, double ndcg) {
  store::RunRecord r;
  r.run_id = id;
  r.name = "hybrid-" + id.substr(0, 2);
  r.status = store::RunStatus::finished;
  r.params = {{"training.learning_rate", learning_rate}, {"training.batch_size", "256"},
              {"model.embedding_dim", "32"}, {"model.hidden_layers", "[128,64,32]"},
              {"data.path", "../shared/data/ml-100k"}, {"content_features.max_vocabulary", "1000"}};
  r.latest_metrics = {{"test_ndcg@10", ndcg}, {"val_ndcg@10", ndcg + 0.01}, {"train_loss", 0.3}};
  r.seeds = {{"seed", 42}};
  return r;
}

const report::ComparisonSection& section(const report::Comparison& c, const std::string& name) {
  for (const auto& s : c.sections)
    if (s.name == name) return s;
  throw std::runtime_error("no section " + name);
}

std::vector<std::string> keys(const report::ComparisonSection& s) {
  std::vector<std::string> out;
  for (const auto& r : s.rows) out.push_back(r.key);
  return out;
}

TEST(Comparison, TwoRunsDifferingInOneSettingShowThatSettingOnly) {
  const auto a = report::subject_from_run(run("aaaa0000aaaa0000aaaa0000aaaa0000", "0.001", 0.35));
  const auto b = report::subject_from_run(run("bbbb0000bbbb0000bbbb0000bbbb0000", "0.01", 0.38));
  const auto cmp = report::compare_subjects({a, b}, false);

  // Metrics first: the runs' own (test and validation), with B - A.
  ASSERT_EQ(cmp.sections.front().name, "metrics");
  EXPECT_EQ(keys(cmp.sections.front()), (std::vector<std::string>{"test_ndcg@10", "val_ndcg@10"}));
  EXPECT_NEAR(*cmp.sections.front().rows[0].delta, 0.03, 1e-12);
  // Only the differing setting; the identical ones are counted, not shown.
  EXPECT_EQ(keys(section(cmp, "settings")), (std::vector<std::string>{"training.learning_rate"}));
  EXPECT_EQ(section(cmp, "settings").hidden, 4);  // batch_size, embedding_dim, hidden_layers, seeds.seed
  EXPECT_TRUE(section(cmp, "data").rows.empty());
  EXPECT_EQ(section(cmp, "data").hidden, 1);
  EXPECT_TRUE(section(cmp, "features").rows.empty());
  EXPECT_EQ(section(cmp, "other metrics").hidden, 1);  // train_loss

  const std::string text = report::comparison_text(cmp);
  EXPECT_NE(text.find("training.learning_rate"), std::string::npos) << text;
  EXPECT_NE(text.find("+0.0300"), std::string::npos) << text;
  EXPECT_LT(text.find("test_ndcg@10"), text.find("training.learning_rate")) << "metrics come first\n" << text;
  for (const char* hidden : {"training.batch_size", "model.hidden_layers", "data.path", "train_loss"})
    EXPECT_EQ(text.find(hidden), std::string::npos) << hidden << " is identical and must be hidden\n" << text;
  EXPECT_NE(text.find("--all"), std::string::npos) << "says how to see the rest\n" << text;

  // --all: everything, identical rows included.
  const auto all = report::compare_subjects({a, b}, true);
  const std::string all_text = report::comparison_text(all);
  for (const char* shown : {"training.learning_rate", "training.batch_size", "model.hidden_layers", "data.path", "train_loss"})
    EXPECT_NE(all_text.find(shown), std::string::npos) << shown << "\n" << all_text;
  const json j = report::comparison_json(all);
  EXPECT_EQ(j["sections"]["settings"].size(), 5u);
  EXPECT_EQ(j["hidden"]["settings"], 0);
}

TEST(Comparison, ModelsAreComparedOnTheirWholeSavedConfigurationWithBaselinesUnderAll) {
  const fs::path dir = scratch_dir("models");
  store::ArtifactStore artifacts(dir / "objects");
  auto model = [&](const std::string& id, int max_vocabulary, double ndcg) {
    json config = {{"model", {{"type", "hybrid"}, {"embedding_dim", 32}}},
                   {"training", {{"learning_rate", 0.001}}},
                   {"content_features", {{"max_vocabulary", max_vocabulary}}},
                   {"architecture", {{"type", "hybrid"}, {"layers", {64, 32}}}},
                   {"training_data", {{"num_samples", 1000}}},
                   {"auto_settings", {{"recency", {{"chosen", 30}, {"seconds", max_vocabulary * 0.001}}}}},
                   {"model_version", id},
                   {"run_id", id}};
    write_json_atomic(dir / id / "config.json", config);
    store::ModelRecord m;
    m.model_id = id;
    m.model_type = "hybrid";
    m.hyperparameters = {{"learning_rate", 0.001}, {"embedding_dim", 32}, {"type", "hybrid"}};  // the same for both
    m.metrics = {{"ranking", {{"ndcg@10", ndcg}}},
                 {"baselines", {{"popularity", {{"ranking", {{"ndcg@10", 0.2}, {"recall@10", 0.1}}}}}}}};
    m.files = {artifacts.put_file(dir / id / "config.json", "config.json")};
    return report::subject_from_model(m, artifacts);
  };
  const auto cmp = report::compare_subjects({model("rec-model-v1.0.0", 1000, 0.30), model("rec-model-v1.1.0", 50, 0.32)}, false);
  {
    // A section only one model has (a fallback record) is one row, not one per setting.
    auto with_fallback = model("rec-model-v1.0.0", 1000, 0.30);
    with_fallback.settings["fallback.served"] = "popularity";
    with_fallback.settings["fallback.trained_family"] = "hybrid";
    const auto one_sided = report::compare_subjects({with_fallback, model("rec-model-v1.1.0", 1000, 0.32)}, false);
    ASSERT_EQ(keys(section(one_sided, "settings")), (std::vector<std::string>{"fallback"}));
    EXPECT_EQ(json(section(one_sided, "settings").rows[0].values), json::array({"(2 rows)", nullptr}));
    const auto expanded = report::compare_subjects({with_fallback, model("rec-model-v1.1.0", 1000, 0.32)}, true);
    const auto expanded_keys = keys(section(expanded, "settings"));
    for (const char* key : {"fallback.served", "fallback.trained_family"})
      EXPECT_NE(std::find(expanded_keys.begin(), expanded_keys.end(), key), expanded_keys.end()) << key << " under --all";
  }
  EXPECT_EQ(keys(cmp.sections.front()), (std::vector<std::string>{"ndcg@10"}));
  // The differing content-feature setting shows, though the indexed hyperparameters are equal.
  EXPECT_EQ(keys(section(cmp, "features")), (std::vector<std::string>{"content_features.max_vocabulary"}));
  EXPECT_TRUE(section(cmp, "settings").rows.empty()) << "run_id, model_version and timings are not settings";
  EXPECT_EQ(section(cmp, "other metrics").hidden, 2);
  const std::string text = report::comparison_text(cmp);
  EXPECT_EQ(text.find("baselines."), std::string::npos) << text;
  EXPECT_EQ(text.find("{\""), std::string::npos) << "no JSON blobs in cells\n" << text;
  const auto all = report::compare_subjects({model("rec-model-v1.0.0", 1000, 0.30), model("rec-model-v1.1.0", 50, 0.32)}, true);
  const std::string all_text = report::comparison_text(all);
  EXPECT_NE(all_text.find("baselines.popularity.ranking.recall@10"), std::string::npos) << all_text;
  EXPECT_NE(all_text.find("architecture.layers"), std::string::npos) << all_text;
}

}  // namespace
}  // namespace hybridrec::testing
