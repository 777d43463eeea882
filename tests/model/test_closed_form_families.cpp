// The closed-form families (ease, itemknn, ials) on small hand-made data: each
// checked against its defining maths computed independently here, plus the
// interface contract (score_all == score_pairs, finite cold scores, same seed
// same model, save -> load same scores).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <Eigen/Dense>

#include "../eval/eval_fixtures.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/closed_form_families.h"
#include "model/family_ease.h"
#include "model/family_ials.h"
#include "model/family_itemknn.h"
#include "test_support.h"

namespace hybridrec {
namespace {

using testing::Fixture;
using testing::Part;

// Users in two taste groups over two halves of the catalogue (plus some noise),
// the last user without training history.
Fixture taste_groups(std::size_t users = 40, std::size_t items = 24, std::uint64_t seed = 7) {
  Fixture f(users, items);
  Rng rng(seed);
  for (std::uint32_t u = 0; u + 1 < users; ++u) {
    const std::uint32_t half = u % 2 ? static_cast<std::uint32_t>(items / 2) : 0;
    std::set<std::uint32_t> chosen;
    for (int k = 0; k < 6; ++k) chosen.insert(half + static_cast<std::uint32_t>(rng.uniform() * (items / 2)));
    chosen.insert(static_cast<std::uint32_t>(rng.uniform() * items));  // noise
    for (auto i : chosen) f.add(u, i, rng.bernoulli(0.8) ? Part::Train : Part::Test);
  }
  return f;
}

TrainingContext context_for(const Fixture& f, const nlohmann::json& config, int threads = 2) {
  TrainingContext c;
  c.dataset = &f.dataset;
  c.split = &f.split;
  c.config = config;
  c.threads = threads;
  c.seed = 11;
  return c;
}

// The dense user x item 0/1 training matrix, built here without the library's helper.
Eigen::MatrixXd dense_train(const Fixture& f) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(f.dataset.num_users(), f.dataset.num_items());
  for (auto idx : f.split.train) x(f.dataset.interactions[idx].user, f.dataset.interactions[idx].item) = 1.0;
  return x;
}

std::vector<std::uint32_t> all_users(const Fixture& f) {
  std::vector<std::uint32_t> users(f.dataset.num_users());
  for (std::uint32_t u = 0; u < users.size(); ++u) users[u] = u;
  return users;
}

std::vector<float> scores_of(const Recommender& model, std::span<const std::uint32_t> users) {
  std::vector<float> out(users.size() * model.num_items());
  model.score_all(users, out.data());
  return out;
}

nlohmann::json family_config(const std::string& family, nlohmann::json settings) {
  return {{"model", {{family, std::move(settings)}}}};
}

// ---- the contract, for every family ----------------------------------------

struct FamilyCase {
  std::string name;
  nlohmann::json config;
  std::unique_ptr<Recommender> (*make)(const nlohmann::json&);
};

class ClosedFormContract : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(ClosedFormContract, ScoreAllAndPairsAgreeExactlyAndColdUsersAreFinite) {
  const Fixture f = taste_groups();
  auto model = GetParam().make(GetParam().config);
  EXPECT_EQ(GetParam().name.rfind(model->type(), 0), 0u);  // "ials_cholesky" is ials with another solver
  model->fit(context_for(f, GetParam().config));
  ASSERT_EQ(model->num_items(), f.dataset.num_items());
  const auto users = all_users(f);
  const auto all = scores_of(*model, users);
  std::vector<std::uint32_t> pair_users, pair_items;
  for (auto u : users)
    for (std::uint32_t i = 0; i < model->num_items(); ++i) {
      pair_users.push_back(u);
      pair_items.push_back(i);
    }
  std::vector<float> pairs(pair_users.size());
  model->score_pairs(pair_users, pair_items, pairs.data());
  for (std::size_t k = 0; k < all.size(); ++k) {
    ASSERT_TRUE(std::isfinite(all[k])) << k;
    ASSERT_EQ(all[k], pairs[k]) << "user " << pair_users[k] << " item " << pair_items[k];
  }
  // The cold user (no training history) gets finite, identical scores.
  const std::size_t cold = users.size() - 1, n = model->num_items();
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(all[cold * n + i], all[cold * n]);
  // A trained user's scores are not all equal (the model learned something).
  EXPECT_NE(*std::max_element(all.begin(), all.begin() + n), *std::min_element(all.begin(), all.begin() + n));
}

TEST_P(ClosedFormContract, SameSeedSameModelAndThreadCountDoesNotMatter) {
  const Fixture f = taste_groups();
  auto a = GetParam().make(GetParam().config), b = GetParam().make(GetParam().config);
  a->fit(context_for(f, GetParam().config, 1));
  b->fit(context_for(f, GetParam().config, 2));
  const auto users = all_users(f);
  EXPECT_EQ(scores_of(*a, users), scores_of(*b, users));
}

TEST_P(ClosedFormContract, SaveThenLoadScoresIdentically) {
  const Fixture f = taste_groups();
  auto model = GetParam().make(GetParam().config);
  model->fit(context_for(f, GetParam().config));
  const auto dir = testing::scratch_dir(GetParam().name);
  model->save(dir);
  ASSERT_TRUE(std::filesystem::exists(dir / "model.safetensors"));
  auto loaded = GetParam().make(GetParam().config);
  LoadContext lc;
  lc.num_users = f.dataset.num_users();
  lc.num_items = f.dataset.num_items();
  loaded->load(dir, lc);  // no dataset: loading never needs the training data
  const auto users = all_users(f);
  EXPECT_EQ(scores_of(*model, users), scores_of(*loaded, users));
  // A bundle of another catalogue size is refused.
  lc.num_items += 1;
  auto wrong = GetParam().make(GetParam().config);
  EXPECT_THROW(wrong->load(dir, lc), DataError);
}

INSTANTIATE_TEST_SUITE_P(
    Families, ClosedFormContract,
    ::testing::Values(FamilyCase{"ease", family_config("ease", {{"lambda", 3.0}}), &make_ease},
                      FamilyCase{"itemknn", family_config("itemknn", {{"neighbors", 5}}), &make_itemknn},
                      FamilyCase{"ials", family_config("ials", {{"factors", 8}, {"iterations", 4}}), &make_ials},
                      FamilyCase{"ials_cholesky",
                                 family_config("ials", {{"factors", 8}, {"iterations", 4}, {"solver", "cholesky"}}),
                                 &make_ials}),
    [](const auto& info) { return info.param.name; });

// ---- EASE ------------------------------------------------------------------

TEST(Ease, WeightsSolveTheConstrainedRidgeRegressionColumnByColumn) {
  const Fixture f = taste_groups(30, 10);
  const double lambda = 2.5;
  for (const std::string precision : {"float", "double"}) {
    SCOPED_TRACE(precision);
    EaseRecommender ease(family_config("ease", {{"lambda", lambda}, {"precision", precision}}));
    ease.fit(context_for(f, {}));
    const Eigen::MatrixXd x = dense_train(f);
    const auto n = x.cols();
    const auto& b = ease.weights();
    // Steck's problem for column j: regress x_j on the other columns with ridge
    // lambda and B_jj = 0, i.e. b = (X_-j^T X_-j + lambda I)^-1 X_-j^T x_j.
    for (Eigen::Index j = 0; j < n; ++j) {
      Eigen::MatrixXd others(x.rows(), n - 1);
      for (Eigen::Index c = 0, k = 0; c < n; ++c)
        if (c != j) others.col(k++) = x.col(c);
      const Eigen::MatrixXd a = others.transpose() * others + lambda * Eigen::MatrixXd::Identity(n - 1, n - 1);
      const Eigen::VectorXd coef = a.fullPivLu().solve(others.transpose() * x.col(j));
      EXPECT_EQ(b(j, j), 0.0f);
      for (Eigen::Index c = 0, k = 0; c < n; ++c)
        if (c != j) {
          EXPECT_NEAR(b(c, j), coef(k++), 1e-5) << "B(" << c << ", " << j << ")";
        }
    }
    EXPECT_DOUBLE_EQ(ease.lambda(), lambda);
    // Scores are X_u B.
    const Eigen::MatrixXd expected = x * b.cast<double>();
    const auto users = all_users(f);
    const auto scores = scores_of(ease, users);
    for (Eigen::Index u = 0; u < x.rows(); ++u)
      for (Eigen::Index i = 0; i < n; ++i) EXPECT_NEAR(scores[u * n + i], expected(u, i), 1e-5);
  }
}

TEST(Ease, AutoLambdaIsRelativeToTheMeanDiagonalOfTheGram) {
  const Fixture f = taste_groups();
  EaseRecommender ease(family_config("ease", {{"lambda", "auto"}, {"lambda_relative", 2.0}}));
  ease.fit(context_for(f, {}));
  const Eigen::MatrixXd x = dense_train(f);
  EXPECT_NEAR(ease.lambda(), 2.0 * (x.transpose() * x).trace() / x.cols(), 1e-9);
  const Dataset& d = f.dataset;
  EXPECT_EQ(ease_grid(family_config("ease", {{"lambda", "auto"}}), d).size(), 7u);
  EXPECT_TRUE(ease_grid(family_config("ease", {{"lambda", 100}}), d).empty());
  EXPECT_THROW(EaseRecommender(family_config("ease", {{"lambda", -1}})), ConfigError);
}

TEST(Ease, RefusesAHugeCatalogueFromItsSizeAloneBeforeAllocating) {
  // 300k items: the dense matrices would need 12 * 300k^2 bytes = 1.1 TB (float).
  Fixture f(3, 300000);
  f.add(0, 1, Part::Train);
  f.add(1, 299999, Part::Train);
  EaseRecommender ease(family_config("ease", {{"lambda", 1.0}}));
  try {
    ease.fit(context_for(f, {}));
    FAIL() << "fit accepted a 300000-item catalogue";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("300000 items"), std::string::npos) << message;
    EXPECT_NE(message.find("1080.0 GB"), std::string::npos) << message;
    EXPECT_NE(message.find("ials"), std::string::npos) << message;
    EXPECT_NE(message.find("itemknn"), std::string::npos) << message;
  }
  EXPECT_EQ(ease.num_items(), 0u);  // nothing was built
  // The limit is configurable: 1000 items (16 MB) against 1 MB.
  Fixture small(3, 1000);
  small.add(0, 1, Part::Train);
  EaseRecommender limited(family_config("ease", {{"lambda", 1.0}, {"max_memory_gb", 0.001}}));
  EXPECT_THROW(limited.fit(context_for(small, {})), ConfigError);
}

TEST(Ease, ScoresAHistoryRowLikeTheUserItCameFrom) {
  const Fixture f = taste_groups();
  EaseRecommender ease(family_config("ease", {{"lambda", 3.0}}));
  ease.fit(context_for(f, {}));
  const std::uint32_t user = 4;
  SparseRowMatrix row(1, static_cast<std::int64_t>(f.dataset.num_items()));
  const Eigen::MatrixXd x = dense_train(f);
  for (Eigen::Index i = 0; i < x.cols(); ++i)
    if (x(user, i) != 0) row.insert(0, i) = 1.0f;
  std::vector<float> folded(ease.num_items());
  ease.score_history(row, folded.data());
  const std::uint32_t users[1] = {user};
  EXPECT_EQ(folded, scores_of(ease, users));
}

// ---- itemknn -----------------------------------------------------------------

TEST(ItemKnn, KeepsTheKMostCosineSimilarItemsPerItem) {
  const Fixture f = taste_groups();
  const int k = 3;
  ItemKnnRecommender knn(family_config("itemknn", {{"neighbors", k}}));
  knn.fit(context_for(f, {}));
  const Eigen::MatrixXd x = dense_train(f);
  const Eigen::MatrixXd gram = x.transpose() * x;
  const auto& w = knn.neighbors();
  for (Eigen::Index a = 0; a < x.cols(); ++a) {
    std::vector<std::pair<double, Eigen::Index>> cosine;  // (-similarity, item): sorts best first
    for (Eigen::Index b = 0; b < x.cols(); ++b)
      if (b != a && gram(a, b) > 0) cosine.emplace_back(-gram(a, b) / std::sqrt(gram(a, a) * gram(b, b)), b);
    std::sort(cosine.begin(), cosine.end());
    const std::size_t expected = std::min<std::size_t>(k, cosine.size());
    ASSERT_EQ(static_cast<std::size_t>(w.row(a).nonZeros()), expected) << "item " << a;
    // The kept similarities are the k largest (ties may pick either item).
    std::vector<double> kept;
    for (SparseRowMatrix::InnerIterator it(w, a); it; ++it) {
      EXPECT_NEAR(it.value(), gram(a, it.col()) / std::sqrt(gram(a, a) * gram(it.col(), it.col())), 1e-6);
      kept.push_back(it.value());
    }
    std::sort(kept.rbegin(), kept.rend());
    for (std::size_t r = 0; r < expected; ++r) EXPECT_NEAR(kept[r], -cosine[r].first, 1e-6);
  }
  for (std::uint32_t a = 0; a < 5; ++a)
    for (std::uint32_t b = 0; b < 5; ++b) EXPECT_EQ(knn.item_similarity(a, b), knn.item_similarity(b, a));
  EXPECT_EQ(itemknn_grid(family_config("itemknn", {{"neighbors", "auto"}}), f.dataset).size(), 2u);  // 20, then 50 > 23
  EXPECT_TRUE(itemknn_grid(family_config("itemknn", {{"neighbors", 7}}), f.dataset).empty());
}

// ---- iALS --------------------------------------------------------------------

nlohmann::json ials_config(const std::string& solver, int iterations = 6) {
  return family_config("ials", {{"factors", 8}, {"iterations", iterations}, {"solver", solver},
                                {"regularization", 0.01}, {"unobserved_weight", 0.2}, {"alpha", 2.0}});
}

TEST(Ials, LossDecreasesEveryEpoch) {
  const Fixture f = taste_groups();
  for (const std::string solver : {"cg", "cholesky"}) {
    IalsRecommender ials(ials_config(solver, 8));
    ials.track_loss(true);
    ials.fit(context_for(f, {}));
    const auto& losses = ials.epoch_losses();
    ASSERT_EQ(losses.size(), 8u);
    for (std::size_t e = 1; e < losses.size(); ++e)
      EXPECT_LE(losses[e], losses[e - 1] * (1 + 1e-6)) << solver << " epoch " << e;
    EXPECT_LT(losses.back(), 0.9 * losses.front()) << solver;
  }
}

TEST(Ials, UserStepIsTheClosedFormSolutionOfTheUsersNormalEquations) {
  const Fixture f = taste_groups();
  IalsRecommender ials(ials_config("cg"));
  ials.fit(context_for(f, {}));
  const Eigen::MatrixXd h = ials.item_factors().cast<double>();
  const double alpha0 = 0.2, reg = 0.01, alpha = 2.0;
  const std::uint32_t user = 5;
  const Eigen::MatrixXd x = dense_train(f);
  SparseRowMatrix row(1, x.cols());
  // Setting the gradient of L in w_u to zero by hand, over every item:
  // sum_i [x_ui c_ui + alpha0] h_i h_i^T w + reg (n_u + alpha0 |I|) w = sum_i x_ui c_ui h_i.
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(8, 8);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(8);
  double count = 0;
  for (Eigen::Index i = 0; i < x.cols(); ++i) {
    const double c = x(user, i) != 0 ? 1 + alpha * 1.0 : 0.0;
    a += (c + alpha0) * h.row(i).transpose() * h.row(i);
    b += c * h.row(i).transpose();
    if (x(user, i) != 0) {
      row.insert(0, i) = 1.0f;
      ++count;
    }
  }
  a += reg * (count + alpha0 * x.cols()) * Eigen::MatrixXd::Identity(8, 8);
  const Eigen::VectorXd expected = a.fullPivLu().solve(b);
  const Eigen::VectorXf got = ials.solve_user(row);
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(got(k), expected(k), 1e-4 * (1 + std::abs(expected(k))));
  // An empty history folds in to zeros (a cold user).
  EXPECT_TRUE(ials.solve_user(SparseRowMatrix(1, x.cols())).isZero());
}

TEST(Ials, ConjugateGradientWithEnoughStepsMatchesCholesky) {
  const Fixture f = taste_groups();
  // One epoch from the same start. In exact arithmetic CG solves a d x d system in
  // d steps; in float, with the item side's poorer conditioning, it needs a few more.
  nlohmann::json cg = ials_config("cg", 1);
  cg["model"]["ials"]["cg_steps"] = 32;
  IalsRecommender a(cg), b(ials_config("cholesky", 1));
  a.fit(context_for(f, {}));
  b.fit(context_for(f, {}));
  const float users_scale = b.user_factors().cwiseAbs().maxCoeff(), items_scale = b.item_factors().cwiseAbs().maxCoeff();
  EXPECT_LT((a.user_factors() - b.user_factors()).cwiseAbs().maxCoeff(), 1e-3 * users_scale);
  EXPECT_LT((a.item_factors() - b.item_factors()).cwiseAbs().maxCoeff(), 1e-3 * items_scale);
}

TEST(Ials, ItemVectorsAreTheFactorsAndTheGridIsSizedBySetting) {
  const Fixture f = taste_groups();
  IalsRecommender ials(ials_config("cg", 2));
  ials.fit(context_for(f, {}));
  const ItemVectors* vectors = ials.item_vectors();
  ASSERT_NE(vectors, nullptr);
  EXPECT_EQ(vectors->candidate_item_vectors(), ials.item_factors());
  const auto query = vectors->candidate_query(3, {});
  float via_query = 0;
  for (int k = 0; k < 8; ++k) via_query += query[k] * ials.item_factors()(2, k);
  float scored = 0;
  const std::uint32_t u[1] = {3}, i[1] = {2};
  ials.score_pairs(u, i, &scored);
  EXPECT_NEAR(via_query, scored, 1e-5);
  EXPECT_EQ(ials_grid(family_config("ials", {{"factors", "auto"}, {"regularization", "auto"}}), f.dataset).size(), 12u);
  EXPECT_EQ(ials_grid(family_config("ials", {{"factors", 16}, {"regularization", "auto"}}), f.dataset).size(), 4u);
  EXPECT_TRUE(ials_grid(family_config("ials", {{"factors", 16}, {"regularization", 0.1}}), f.dataset).empty());
  EXPECT_THROW(IalsRecommender(family_config("ials", {{"solver", "lu"}})), ConfigError);
}

}  // namespace
}  // namespace hybridrec
