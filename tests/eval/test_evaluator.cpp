#include <cmath>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/evaluator.h"
#include "eval_fixtures.h"
#include "model/baselines.h"

using namespace hybridrec;
using hybridrec::testing::FunctionModel;
using hybridrec::testing::Fixture;
using hybridrec::testing::oracle;
using hybridrec::testing::Part;

namespace {
// 12 items. Users 0-2 have history; user 3 is new (test only); user 4's only test
// item is one it trained on, so it has nothing relevant to find.
Fixture small_world() {
  Fixture f(5, 12);
  f.add(0, 0, Part::Train), f.add(0, 1, Part::Train), f.add(0, 2, Part::Test), f.add(0, 3, Part::Test);
  f.add(1, 4, Part::Train), f.add(1, 5, Part::Test);
  f.add(2, 0, Part::Train), f.add(2, 6, Part::Test), f.add(2, 7, Part::Test), f.add(2, 8, Part::Test);
  f.add(3, 9, Part::Test), f.add(3, 10, Part::Test);
  f.add(4, 1, Part::Train), f.add(4, 1, Part::Test);
  f.add(1, 11, Part::Validation);
  return f;
}

double get(const nlohmann::json& j, const std::string& section, const std::string& key) {
  return j.at(section).at(key).get<double>();
}
}  // namespace

TEST(Evaluator, PerfectOracleScoresTheExpectedPrecision) {
  const Fixture f = small_world();
  const FunctionModel model = oracle(f, Part::Test);
  EvalOptions options;
  options.ks = {1, 5};
  const auto result = evaluate(model, f.dataset, f.split, options);
  EXPECT_EQ(result["users_in_part"], 5);
  EXPECT_EQ(result["users_evaluated"], 4);
  EXPECT_EQ(result["users_without_relevant"], 1);
  // Relevant counts 2, 1, 3, 2: precision@5 = mean(2, 1, 3, 2) / 5; @1 every user hits.
  EXPECT_DOUBLE_EQ(get(result, "ranking", "precision@5"), (2.0 + 1.0 + 3.0 + 2.0) / 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "precision@1"), 1.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "recall@5"), 1.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "ndcg@5"), 1.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "map@5"), 1.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "mrr"), 1.0);
  // recall@1: 1/2, 1, 1/3, 1/2.
  EXPECT_DOUBLE_EQ(get(result, "ranking", "recall@1"), (0.5 + 1.0 + 1.0 / 3.0 + 0.5) / 4.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "map"), get(result, "ranking", "map@5"));  // primary K = largest
  // An oracle that outputs exact 0/1 has no prediction error.
  EXPECT_DOUBLE_EQ(get(result, "prediction", "rmse"), 0.0);
  EXPECT_EQ(result["prediction"]["positives"], 8);
  EXPECT_EQ(result["prediction"]["negatives"], 32);
  EXPECT_EQ(result["segments"]["new_users"]["users"], 1);
  EXPECT_EQ(result["segments"]["active_users"]["users"], 3);
}

TEST(Evaluator, ExcludesTrainingItemsAndTiesBreakByItemIndex) {
  // A constant model ranks by item index. User 0 trained on 0 and 1, so its list
  // starts at item 2 (relevant), then 3 (relevant).
  const Fixture f = small_world();
  const FunctionModel constant(12, [](std::uint32_t, std::uint32_t) { return 0.5f; });
  EvalOptions options;
  options.ks = {2};
  options.ranking_only = true;
  const auto result = evaluate(constant, f.dataset, f.split, options);
  // Lists: u0 [2,3] hits 2; u1 [0,1] none (relevant 5 at full rank 5: 0,1,2,3,5);
  // u2 [1,2] none (relevant 6 at full rank 6); u3 [0,1] none (relevant 9 at rank 10).
  EXPECT_DOUBLE_EQ(get(result, "ranking", "precision@2"), (1.0 + 0 + 0 + 0) / 4.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "mrr"), (1.0 + 1.0 / 5.0 + 1.0 / 6.0 + 1.0 / 10.0) / 4.0);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "mrr@2"), 1.0 / 4.0);
  EXPECT_FALSE(result.contains("business"));  // ranking_only skips the rest
}

TEST(Evaluator, ColdUsersGoToTheFallbackAndAreCounted) {
  const Fixture f = small_world();
  const FunctionModel warm_only(12, [](std::uint32_t, std::uint32_t i) { return static_cast<float>(i); }, false);
  const FunctionModel fallback = oracle(f, Part::Test);
  EvalOptions options;
  options.ks = {2};
  options.ranking_only = true;
  const auto result = evaluate(warm_only, f.dataset, f.split, options, &fallback);
  EXPECT_EQ(result["cold_start_paths"]["cold_users"], 1);
  EXPECT_EQ(result["cold_start_paths"]["served_by_fallback"], 1);
  EXPECT_EQ(result["cold_start_paths"]["served_by_model"], 0);
  EXPECT_EQ(warm_only.ranked_users(), (std::set<std::uint32_t>{0, 1, 2}));  // never asked about user 3
  EXPECT_EQ(fallback.ranked_users(), (std::set<std::uint32_t>{3}));

  // A model that serves cold users ranks them itself.
  const FunctionModel serves_all(12, [](std::uint32_t, std::uint32_t i) { return static_cast<float>(i); }, true);
  const auto own = evaluate(serves_all, f.dataset, f.split, options, &fallback);
  EXPECT_EQ(own["cold_start_paths"]["served_by_model"], 1);
  EXPECT_TRUE(serves_all.ranked_users().count(3));

  // The new-user segment shows the fallback's (perfect) quality in full mode.
  options.ranking_only = false;
  const FunctionModel warm_only2(12, [](std::uint32_t, std::uint32_t i) { return static_cast<float>(i); }, false);
  const auto full = evaluate(warm_only2, f.dataset, f.split, options, &fallback);
  EXPECT_DOUBLE_EQ(full["segments"]["new_users"]["precision@2"].get<double>(), 1.0);
  EXPECT_FALSE(warm_only2.pair_users().count(3));  // prediction labels of user 3 scored by the fallback too
}

TEST(Evaluator, RandomBaselineMatchesTheory) {
  // 400 users x 200 items, each with 20 training and 10 test items drawn at random.
  const std::uint32_t users = 400, items = 200, n_train = 20, n_test = 10;
  Fixture f(users, items);
  std::mt19937 rng(3);
  std::vector<std::uint32_t> all(items);
  std::iota(all.begin(), all.end(), 0u);
  for (std::uint32_t u = 0; u < users; ++u) {
    std::shuffle(all.begin(), all.end(), rng);
    for (std::uint32_t j = 0; j < n_train; ++j) f.add(u, all[j], Part::Train);
    for (std::uint32_t j = n_train; j < n_train + n_test; ++j) f.add(u, all[j], Part::Test);
  }
  RandomBaseline model;
  TrainingContext context;
  context.dataset = &f.dataset;
  context.split = &f.split;
  context.seed = 11;
  model.fit(context);
  EvalOptions options;
  options.ks = {10};
  const auto result = evaluate(model, f.dataset, f.split, options);
  // A uniformly random list of 10 from the 180 candidates: E[precision] = E[recall] = 10/180,
  // P(hit) = 1 - C(170,10)/C(180,10). Standard error of the 400-user mean ~0.004.
  const double p = 10.0 / 180.0;
  double miss = 1.0;
  for (int j = 0; j < 10; ++j) miss *= (170.0 - j) / (180.0 - j);
  EXPECT_NEAR(get(result, "ranking", "precision@10"), p, 0.015);
  EXPECT_NEAR(get(result, "ranking", "recall@10"), p, 0.015);
  EXPECT_NEAR(get(result, "ranking", "hit_rate@10"), 1.0 - miss, 0.06);
  EXPECT_GT(get(result, "business", "coverage"), 0.99);  // 4000 random slots over 200 items
  EXPECT_NEAR(get(result, "prediction", "mae"), 0.5, 0.02);  // uniform scores vs 0/1 labels
}

TEST(Evaluator, BusinessMetricsOnAHandWorld) {
  // 4 items with categories a, a, b, b; two new users with nothing trained; popularity
  // from a third user. A constant model shows every user items 0, 1 at K=2.
  Fixture f(3, 4);
  Fixture::set_categorical(f.dataset.item_attributes, "category", {"a", "a", "b", "b"});
  f.add(2, 3, Part::Train), f.add(2, 2, Part::Train);
  f.add(0, 0, Part::Test), f.add(1, 1, Part::Test);
  const FunctionModel constant(4, [](std::uint32_t, std::uint32_t) { return 1.0f; });
  EvalOptions options;
  options.ks = {2};
  const auto result = evaluate(constant, f.dataset, f.split, options);
  EXPECT_DOUBLE_EQ(get(result, "business", "coverage"), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(get(result, "business", "diversity"), 0.0);  // both items are "a"
  // Degrees 0,0,1,1: items 0 and 1 tie as least popular (mean 0-based rank 2.5 of 3).
  EXPECT_DOUBLE_EQ(get(result, "business", "novelty"), 2.5 / 3.0);
  EXPECT_DOUBLE_EQ(get(result, "business", "self_information"), 1.0);  // -log2(1/2)
  // Popularity would show items 2, 3: each user's relevant item is a surprise hit.
  EXPECT_DOUBLE_EQ(get(result, "business", "serendipity"), 0.5);
  EXPECT_EQ(result["segments"]["cold_items"]["users"], 2);
  EXPECT_DOUBLE_EQ(result["segments"]["cold_items"]["recall@2"].get<double>(), 1.0);
}

TEST(Evaluator, FairnessGapsBetweenGroups) {
  // Group "f" gets an oracle, group "m" a list that never holds its items: DP = EO = 1.
  Fixture f(4, 10);
  Fixture::set_categorical(f.dataset.user_attributes, "gender", {"f", "m", "f", "m"});
  for (std::uint32_t u = 0; u < 4; ++u) f.add(u, u, Part::Train), f.add(u, 5 + u, Part::Test);
  const FunctionModel biased(10, [](std::uint32_t u, std::uint32_t i) {
    if (u % 2 == 0) return i == 5 + u ? 1.0f : 0.0f;
    return i == 5 + u ? -1.0f : 0.0f;
  });
  EvalOptions options;
  options.ks = {3};
  const auto result = evaluate(biased, f.dataset, f.split, options);
  const auto& fairness = result["fairness"];
  EXPECT_EQ(fairness["group_by"], "gender");
  EXPECT_DOUBLE_EQ(fairness["demographic_parity"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(fairness["equal_opportunity"].get<double>(), 1.0);
  EXPECT_EQ(fairness["groups"]["f"]["users"], 2);
  EXPECT_DOUBLE_EQ(fairness["groups"]["m"]["hit_rate@3"].get<double>(), 0.0);

  const FunctionModel fair = oracle(f, Part::Test);
  const auto even = evaluate(fair, f.dataset, f.split, options);
  EXPECT_DOUBLE_EQ(even["fairness"]["demographic_parity"].get<double>(), 0.0);

  options.group_by = "age";
  EXPECT_THROW(evaluate(fair, f.dataset, f.split, options), ConfigError);
}

TEST(Evaluator, RatingScaleModeOnExplicitData) {
  Fixture f(2, 6);
  f.dataset.explicit_ratings = true;
  f.add(0, 0, Part::Train, Event::Rating, 4.0f);
  f.add(0, 1, Part::Test, Event::Rating, 5.0f);
  f.add(1, 2, Part::Train, Event::Rating, 3.0f);
  f.add(1, 3, Part::Test, Event::Rating, 2.0f);  // superseded by the later rating
  f.add(1, 3, Part::Test, Event::Rating, 1.0f);
  const FunctionModel half(6, [](std::uint32_t, std::uint32_t) { return 0.5f; });  // rating 3 on 1..5
  EvalOptions options;
  options.ks = {1};
  const auto result = evaluate(half, f.dataset, f.split, options);
  EXPECT_EQ(result["prediction"]["rating_pairs"], 2);
  EXPECT_DOUBLE_EQ(result["prediction"]["rating_rmse"].get<double>(), 2.0);  // errors 2 and -2
  EXPECT_DOUBLE_EQ(result["prediction"]["rating_mae"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(result["prediction"]["rmse"].get<double>(), 0.5);  // 0.5 vs every 0/1 label
}

TEST(Evaluator, ValidationPartAndInputErrors) {
  const Fixture f = small_world();
  const FunctionModel model = oracle(f, Part::Validation);
  EvalOptions options;
  options.part = "validation";
  options.ks = {1};
  const auto result = evaluate(model, f.dataset, f.split, options);
  EXPECT_EQ(result["users_evaluated"], 1);
  EXPECT_DOUBLE_EQ(get(result, "ranking", "precision@1"), 1.0);

  options.part = "train";
  EXPECT_THROW(evaluate(model, f.dataset, f.split, options), ConfigError);
  options.part = "test";
  options.ks = {0};
  EXPECT_THROW(evaluate(model, f.dataset, f.split, options), ConfigError);
  options.ks = {1};
  const FunctionModel wrong_size(3, [](std::uint32_t, std::uint32_t) { return 0.0f; });
  EXPECT_THROW(evaluate(wrong_size, f.dataset, f.split, options), Error);
}

TEST(Evaluator, ThreadCountDoesNotChangeResults) {
  const Fixture f = small_world();
  RandomBaseline model;
  TrainingContext context;
  context.dataset = &f.dataset;
  context.split = &f.split;
  model.fit(context);
  EvalOptions one, four;
  one.threads = 1;
  four.threads = 4;
  auto a = evaluate(model, f.dataset, f.split, one), b = evaluate(model, f.dataset, f.split, four);
  a.erase("elapsed_seconds"), b.erase("elapsed_seconds");
  EXPECT_EQ(a, b);
}
