// Fold-in (issue #19), the HistoryFoldIn ability of ease, itemknn and ials, against
// its defining maths computed here: ease's scores are the history vector times the
// learned B, exactly; ials's are one ALS user step with the item factors fixed
// (the user's normal equations solved in double), within the solver's tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <Eigen/Dense>

#include "../eval/eval_fixtures.h"
#include "core/rng.h"
#include "data/features.h"
#include "data/generator.h"
#include "data/split.h"
#include "model/family_ease.h"
#include "model/family_ials.h"
#include "model/family_itemknn.h"
#include "model/model_families.h"
#include "generated_shop.h"
#include "test_support.h"
#include "train/config.h"

namespace hybridrec {
namespace {

using testing::Fixture;
using testing::Part;

Fixture taste_groups(std::size_t users = 40, std::size_t items = 24, std::uint64_t seed = 7) {
  Fixture f(users, items);
  Rng rng(seed);
  for (std::uint32_t u = 0; u + 1 < users; ++u) {
    const std::uint32_t half = u % 2 ? static_cast<std::uint32_t>(items / 2) : 0;
    std::set<std::uint32_t> chosen;
    for (int k = 0; k < 6; ++k) chosen.insert(half + static_cast<std::uint32_t>(rng.uniform() * (items / 2)));
    for (auto i : chosen) f.add(u, i, Part::Train);
  }
  return f;
}

TrainingContext context_for(const Fixture& f) {
  TrainingContext c;
  c.dataset = &f.dataset;
  c.split = &f.split;
  c.threads = 2;
  c.seed = 11;
  return c;
}

// A new visitor's history: three items (one repeated with a larger weight).
const std::vector<HistoryEntry> kVisitor = {{3, 1.0f}, {17, 2.5f}, {3, 4.0f}, {9, 1.0f}};

}  // namespace

TEST(FoldIn, EaseScoresAreTheHistoryVectorTimesTheLearnedMatrixExactly) {
  const Fixture f = taste_groups();
  EaseRecommender ease(nlohmann::json{{"model", {{"ease", {{"lambda", 3.0}}}}}});
  ease.fit(context_for(f));
  const HistoryFoldIn* fold = static_cast<const Recommender&>(ease).history_fold_in();
  ASSERT_NE(fold, nullptr);
  const std::size_t n = ease.num_items();
  const RowMatrix& b = ease.weights();

  // A visitor unknown to training: x = {3: 4 (the larger of 1 and 4), 9: 1, 17: 2.5}.
  std::vector<float> got(n);
  fold->score_folded_in(std::nullopt, kVisitor, got.data());
  const std::pair<std::uint32_t, float> x[] = {{3, 4.0f}, {9, 1.0f}, {17, 2.5f}};
  for (std::size_t i = 0; i < n; ++i) {
    float expected = 0.0f;  // x . B[:, i] in float, summed over the history in item order
    for (const auto& [item, value] : x) expected = std::fma(value, b(item, i), expected);
    EXPECT_EQ(got[i], expected) << "item " << i;
  }

  // A trained user plus one online item: their training row with the item added.
  const std::uint32_t user = 4;
  std::vector<float> trained(n), plus(n);
  const std::uint32_t users[1] = {user};
  ease.score_all(users, trained.data());
  fold->score_folded_in(user, {}, plus.data());
  EXPECT_EQ(plus, trained) << "no online events: the trained scores";
  std::set<std::uint32_t> row;
  for (auto k : f.split.train)
    if (f.dataset.interactions[k].user == user) row.insert(f.dataset.interactions[k].item);
  std::uint32_t extra = 0;
  while (row.count(extra)) ++extra;
  row.insert(extra);
  const HistoryEntry online[1] = {{extra, 1.0f}};
  fold->score_folded_in(user, online, plus.data());
  for (std::size_t i = 0; i < n; ++i) {
    float expected = 0.0f;
    for (auto item : row) expected = std::fma(1.0f, b(item, i), expected);
    EXPECT_EQ(plus[i], expected) << "item " << i;
  }
}

TEST(FoldIn, ItemKnnScoresTheHistoryVectorTimesTheNeighbourMatrix) {
  const Fixture f = taste_groups();
  ItemKnnRecommender knn(nlohmann::json{{"model", {{"itemknn", {{"neighbors", 5}}}}}});
  knn.fit(context_for(f));
  const HistoryFoldIn* fold = static_cast<const Recommender&>(knn).history_fold_in();
  ASSERT_NE(fold, nullptr);
  std::vector<float> got(knn.num_items());
  fold->score_folded_in(std::nullopt, kVisitor, got.data());
  const Eigen::MatrixXf w = Eigen::MatrixXf(knn.neighbors());
  for (std::size_t i = 0; i < knn.num_items(); ++i)
    EXPECT_NEAR(got[i], 4.0f * w(3, i) + 1.0f * w(9, i) + 2.5f * w(17, i), 1e-6f) << "item " << i;
}

TEST(FoldIn, IalsIsOneAlsUserStepWithTheItemFactorsFixed) {
  const Fixture f = taste_groups();
  const double alpha0 = 0.2, reg = 0.01, alpha = 2.0;
  IalsRecommender ials(nlohmann::json{{"model", {{"ials", {{"factors", 8}, {"iterations", 6}, {"regularization", reg},
                                              {"unobserved_weight", alpha0}, {"alpha", alpha}}}}}});
  ials.fit(context_for(f));
  const HistoryFoldIn* fold = static_cast<const Recommender&>(ials).history_fold_in();
  ASSERT_NE(fold, nullptr);
  const Eigen::MatrixXd h = ials.item_factors().cast<double>();
  // The user's normal equations, by hand over every item:
  // sum_i [c_i + alpha0] h_i h_i^T w + reg (n + alpha0 |I|) w = sum_i c_i h_i, c_i = 1 + alpha x_i.
  const std::pair<std::uint32_t, double> x[] = {{3, 4.0}, {9, 1.0}, {17, 2.5}};
  Eigen::MatrixXd a = alpha0 * h.transpose() * h;
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(8);
  for (const auto& [item, value] : x) {
    const double c = 1 + alpha * value;
    a += c * h.row(item).transpose() * h.row(item);
    rhs += c * h.row(item).transpose();
  }
  a += reg * (3 + alpha0 * h.rows()) * Eigen::MatrixXd::Identity(8, 8);
  const Eigen::VectorXd factor = a.fullPivLu().solve(rhs);
  const Eigen::VectorXd expected = h * factor;
  std::vector<float> got(ials.num_items());
  fold->score_folded_in(std::nullopt, kVisitor, got.data());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected(i), 1e-4 * (1 + std::abs(expected(i)))) << i;

  // Saved and loaded (the training rows travel in model.safetensors), a trained
  // user folds in the same as before.
  const auto dir = testing::scratch_dir("fold_in_ials");
  ials.save(dir);
  IalsRecommender loaded(nlohmann::json::object());
  LoadContext context;
  context.num_users = f.dataset.num_users();
  context.num_items = f.dataset.num_items();
  loaded.load(dir, context);
  std::vector<float> before(ials.num_items()), after(ials.num_items());
  fold->score_folded_in(4u, kVisitor, before.data());
  loaded.score_folded_in(4u, kVisitor, after.data());
  EXPECT_EQ(before, after);
}

TEST(FoldIn, OnlyFamiliesWithAHistoryStepHaveTheAbility) {
  for (const auto& name : model_family_names()) {
    if (name == "routed") continue;  // follows its history part
    const auto model = make_model(name, default_config());
    const bool expected = name == "ease" || name == "itemknn" || name == "ials";
    EXPECT_EQ(model->history_fold_in() != nullptr, expected) << name;
  }
}

// The hybrid's fold-in: behaviour features aggregated from a history equal what
// the training transform computes from the same events (feature_stats.json's
// definitions), so a new visitor with an online history looks to the network like a
// trained user with that history.
TEST(FoldIn, BehaviourFeaturesFromAHistoryEqualTheTrainingTransformOfTheSameEvents) {
  const Dataset d = testing::generated_shop(300, 120, 20000, 5);
  const Split split = make_split(d, SplitConfig{});
  const FeatureBuilder builder = FeatureBuilder::fit(d, split);
  const FeatureSet features = builder.transform(d, split);
  const auto codes = builder.item_category_codes(features.items);
  ASSERT_TRUE(std::any_of(codes.begin(), codes.end(), [](std::int32_t c) { return c >= 0; }));
  const auto& names = features.users.dense_names;
  const auto& fields = features.users.categorical_names;
  const auto favourite = std::find(fields.begin(), fields.end(), "favourite_category") - fields.begin();
  ASSERT_LT(static_cast<std::size_t>(favourite), fields.size());

  std::vector<std::vector<HistoryEvent>> histories(d.num_users());
  for (auto k : split.train) {
    const Interaction& x = d.interactions[k];
    histories[x.user].push_back({x.item, x.event, x.timestamp});
  }
  std::vector<float> dense(features.users.dense_dim());
  std::vector<std::int32_t> categorical(features.users.num_categorical());
  int checked = 0;
  for (std::uint32_t u = 0; u < d.num_users() && checked < 50; ++u) {
    if (histories[u].empty()) continue;
    ++checked;
    builder.user_from_history({}, histories[u], codes, dense.data(), categorical.data());
    for (const char* column : {"total_purchases", "recency", "frequency"}) {
      const auto c = std::find(names.begin(), names.end(), column) - names.begin();
      ASSERT_LT(static_cast<std::size_t>(c), names.size()) << column;
      EXPECT_FLOAT_EQ(dense[c], features.users.dense(u, c)) << column << ", user " << u;
    }
    EXPECT_EQ(categorical[favourite], features.users.categorical[favourite][u]) << "favourite category, user " << u;
  }
  EXPECT_EQ(checked, 50);
  // No history: a newcomer, as user_from_attributes gives.
  std::vector<float> newcomer(dense.size());
  std::vector<std::int32_t> newcomer_categorical(categorical.size());
  builder.user_from_attributes({}, newcomer.data(), newcomer_categorical.data());
  builder.user_from_history({}, {}, codes, dense.data(), categorical.data());
  EXPECT_EQ(dense, newcomer);
  EXPECT_EQ(categorical, newcomer_categorical);
}

}  // namespace hybridrec
