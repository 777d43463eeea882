// End-to-end on MovieLens 100K: the three baselines through the evaluator, the
// leave-one-out protocol and the result report. Checks orderings that must hold
// on real data (popularity beats random) and values known from theory (random).
#include <gtest/gtest.h>

#include "data/readers.h"
#include "data/split.h"
#include "eval/evaluator.h"
#include "eval/leave_one_out.h"
#include "eval/result_report.h"
#include "model/baselines.h"
#include "model/model_families.h"
#include "test_support.h"

using namespace hybridrec;

namespace {
struct Fitted {
  Dataset dataset;
  Split split;
  std::map<std::string, std::unique_ptr<Recommender>> models;
};

Fitted fit_all(const std::string& strategy) {
  Fitted f;
  f.dataset = load_dataset(hybridrec::testing::ml100k_path());
  SplitConfig config;
  config.strategy = strategy;
  config.train_ratio = 0.8, config.val_ratio = 0.0, config.test_ratio = 0.2;
  f.split = make_split(f.dataset, config);
  TrainingContext context;
  context.dataset = &f.dataset;
  context.split = &f.split;
  for (const auto& family : model_families()) {
    if (!family.baseline) continue;
    f.models[family.name] = make_model(family.name, nlohmann::json::object());
    f.models[family.name]->fit(context);
  }
  return f;
}
}  // namespace

TEST(MovieLens100K, BaselinesThroughTheEvaluatorAndReport) {
  REQUIRE_ML100K();
  const Fitted f = fit_all("user_random");
  const Recommender* popularity = f.models.at("popularity").get();
  std::map<std::string, nlohmann::json> results;
  for (const auto& [name, model] : f.models) results[name] = evaluate(*model, f.dataset, f.split, EvalOptions{}, popularity);

  const auto& pop = results["popularity"];
  const auto& rnd = results["random"];
  const auto& cat = results["category"];
  EXPECT_EQ(pop["users_evaluated"], 943);
  EXPECT_GT(pop["ranking"]["ndcg@10"].get<double>(), 3.0 * rnd["ranking"]["ndcg@10"].get<double>());
  EXPECT_GT(cat["ranking"]["ndcg@10"].get<double>(), rnd["ranking"]["ndcg@10"].get<double>());
  // Random: ~20 relevant of ~1600 candidates per user, so precision@10 is about 1.3%.
  EXPECT_LT(rnd["ranking"]["precision@10"].get<double>(), 0.03);
  // Popularity shows everyone nearly the same list; random covers the catalogue.
  EXPECT_LT(pop["business"]["coverage"].get<double>(), 0.2);
  EXPECT_GT(rnd["business"]["coverage"].get<double>(), 0.9);
  EXPECT_LT(pop["business"]["novelty"].get<double>(), rnd["business"]["novelty"].get<double>());
  EXPECT_DOUBLE_EQ(pop["business"]["serendipity"].get<double>(), 0.0);  // its own expected list
  EXPECT_FALSE(pop["business"]["diversity"].is_null());                 // genres are known
  EXPECT_FALSE(pop["fairness"]["group_by"].is_null());
  EXPECT_GE(pop["fairness"]["groups"].size(), 2u);
  EXPECT_TRUE(pop["prediction"].contains("rating_rmse"));               // explicit ratings

  const auto report = make_result_report("v0.0.1", results["category"],
                                         {{"popularity", results["popularity"]}, {"random", results["random"]}});
  EXPECT_EQ(report["comparison_to_baseline"]["baseline"], "popularity");
  EXPECT_NE(format_metrics_table(report).find("random"), std::string::npos);
}

TEST(MovieLens100K, LeaveOneOutRandomMatchesTheoryAndPopularityBeatsIt) {
  REQUIRE_ML100K();
  const Fitted f = fit_all("leave_one_out");
  const auto rnd = evaluate_leave_one_out(*f.models.at("random"), f.dataset, f.split, 99, {10}, 42);
  const auto pop = evaluate_leave_one_out(*f.models.at("popularity"), f.dataset, f.split, 99, {10}, 42);
  EXPECT_EQ(rnd["cases"], 943);
  // A random rank among 100 candidates: P(rank <= 10) = 0.1; standard error ~0.01.
  EXPECT_NEAR(rnd["hit_rate@10"].get<double>(), 0.1, 0.04);
  EXPECT_GT(pop["hit_rate@10"].get<double>(), 2.0 * rnd["hit_rate@10"].get<double>());
}
