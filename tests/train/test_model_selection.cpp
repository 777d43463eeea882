// Selection on validation (train/model_selection.h): the routine behind a
// family's grid and `--model auto`.
#include <gtest/gtest.h>

#include "data/generator.h"
#include "data/split.h"
#include "model/baselines.h"
#include "train/config.h"
#include "train/model_selection.h"
#include "train/pipeline.h"

namespace hybridrec {
namespace {

struct World {
  Dataset dataset;
  Split split;
  nlohmann::json config = default_config();
};

World small_world() {
  World w;
  GeneratorConfig g;
  g.users = 150;
  g.items = 60;
  g.interactions = 4000;
  g.seed = 3;
  w.dataset = generate_shop(g);
  w.split = make_split(w.dataset, split_config_from(w.config));
  return w;
}

TEST(ModelSelection, KeepsTheBestCandidateOnValidationAndRecordsEveryOne) {
  World w = small_world();
  TrainingContext ctx{&w.dataset, &w.split, nullptr, w.config, 42, 1};
  PopularityBaseline fallback;
  fallback.fit(ctx);
  EvalOptions options;
  options.part = "validation";
  Progress quiet(Progress::Mode::Quiet);
  // Random first: a selection that kept the first candidate would fail.
  const std::vector<SelectionCandidate> candidates{{"random", {{"training", {{"seed", 7}}}}}, {"popularity", {}}};
  SelectionOutcome out = select_model(candidates, ctx, w.split, options, &fallback, 0.0, quiet);
  ASSERT_TRUE(out.model);
  EXPECT_EQ(out.chosen, 1u);
  EXPECT_EQ(out.model->type(), "popularity");
  EXPECT_EQ(out.config["model"]["type"], "popularity");
  const auto& tried = out.record.at("candidates");
  ASSERT_EQ(tried.size(), 2u);
  EXPECT_GT(tried[1].at("ndcg@10").get<double>(), tried[0].at("ndcg@10").get<double>());
  EXPECT_EQ(out.record.at("chosen").at("family"), "popularity");
  EXPECT_EQ(out.record.at("skipped"), 0);
  // The overlay reached the candidate's configuration.
  EXPECT_EQ(select_model({candidates[0]}, ctx, w.split, options, &fallback, 0.0, quiet).config["training"]["seed"], 7);
}

TEST(ModelSelection, StopsStartingCandidatesWhenTheBudgetIsSpent) {
  World w = small_world();
  TrainingContext ctx{&w.dataset, &w.split, nullptr, w.config, 42, 1};
  EvalOptions options;
  Progress quiet(Progress::Mode::Quiet);
  const std::vector<SelectionCandidate> candidates{{"random", {}}, {"popularity", {}}, {"category", {}}};
  SelectionOutcome out = select_model(candidates, ctx, w.split, options, nullptr, 1e-9, quiet);
  EXPECT_EQ(out.record.at("candidates").size(), 1u);  // the first always runs
  EXPECT_EQ(out.record.at("skipped"), 2);
  EXPECT_EQ(out.model->type(), "random");
  EXPECT_THROW(select_model({}, ctx, w.split, options, nullptr, 0.0, quiet), Error);
  EXPECT_THROW(select_model({{"no-such-family", {}}}, ctx, w.split, options, nullptr, 0.0, quiet), ConfigError);
}

TEST(ModelSelection, TheNetworksNeedTheTrainerNotFit) {
  World w = small_world();
  TrainingContext ctx{&w.dataset, &w.split, nullptr, w.config, 42, 1};
  EvalOptions options;
  Progress quiet(Progress::Mode::Quiet);
  try {
    select_model({{"ncf", {}}}, ctx, w.split, options, nullptr, 0.0, quiet);
    FAIL() << "an SGD family cannot be fitted by fit()";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run_training"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hybridrec
