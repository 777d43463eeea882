#include <algorithm>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "train/config.h"

#include "core/error.h"
#include "eval_fixtures.h"
#include "model/baselines.h"
#include "model/model_families.h"

using namespace hybridrec;
using hybridrec::testing::Fixture;
using hybridrec::testing::Part;

namespace {
TrainingContext context_for(const Fixture& f, nlohmann::json config = nlohmann::json::object(), std::uint64_t seed = 42) {
  TrainingContext c;
  c.dataset = &f.dataset;
  c.split = &f.split;
  c.config = std::move(config);
  c.seed = seed;
  return c;
}

std::vector<std::uint32_t> ranking(const Recommender& model, std::uint32_t user, std::size_t k) {
  std::vector<float> row(model.num_items());
  const std::uint32_t users[] = {user};
  model.score_all(users, row.data());
  std::vector<std::uint32_t> items;
  for (const auto& s : top_k(row, k)) items.push_back(s.item);
  return items;
}
}  // namespace

TEST(PopularityBaseline, RanksByWeightedEventCounts) {
  Fixture f(3, 4);
  // Item 0: 3 views = 3. Item 1: 1 purchase = 4. Item 2: 1 cart = 2. Item 3: nothing.
  f.add(0, 0, Part::Train, Event::View);
  f.add(1, 0, Part::Train, Event::View);
  f.add(2, 0, Part::Train, Event::View);
  f.add(0, 1, Part::Train, Event::Purchase);
  f.add(1, 2, Part::Train, Event::AddToCart);
  f.add(2, 3, Part::Test, Event::Purchase);  // test events never count
  PopularityBaseline model;
  model.fit(context_for(f));
  EXPECT_EQ(ranking(model, 0, 4), (std::vector<std::uint32_t>{1, 0, 2, 3}));
  EXPECT_FLOAT_EQ(model.item_scores()[0], 3.0f / 4.0f);
  EXPECT_FLOAT_EQ(model.item_scores()[2], 2.0f / 4.0f);
  EXPECT_FLOAT_EQ(model.item_scores()[3], 0.0f);

  // Views weighted up to 2 make item 0 (6) beat the purchase (4).
  PopularityBaseline reweighted;
  reweighted.fit(context_for(f, {{"baselines", {{"popularity_weights", {{"view", 2.0}}}}}}));
  EXPECT_EQ(ranking(reweighted, 0, 2), (std::vector<std::uint32_t>{0, 1}));

  const std::uint32_t users[] = {0, 2};
  const std::uint32_t items[] = {1, 2};
  float pairs[2];
  model.score_pairs(users, items, pairs);
  EXPECT_FLOAT_EQ(pairs[0], 1.0f);
  EXPECT_FLOAT_EQ(pairs[1], 0.5f);
}

TEST(PopularityBaseline, OnRatingOnlyDataRanksByCounts) {
  Fixture f(3, 3);
  for (std::uint32_t u = 0; u < 3; ++u) f.add(u, 2, Part::Train);
  f.add(0, 0, Part::Train);
  PopularityBaseline model;
  model.fit(context_for(f));
  EXPECT_FLOAT_EQ(model.item_scores()[2], 1.0f);
  EXPECT_FLOAT_EQ(model.item_scores()[0], 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(model.item_scores()[1], 0.0f);
}

TEST(PopularityWeights, RejectsBadConfiguration) {
  EXPECT_THROW(PopularityWeights::from_config({{"baselines", {{"popularity_weights", {{"view", -1}}}}}}), ConfigError);
  EXPECT_THROW(PopularityWeights::from_config({{"baselines", {{"popularity_weights", {{"clicks", 1}}}}}}), ConfigError);
  EXPECT_THROW(PopularityWeights::from_config({{"baselines", {{"popularity_weights", {{"view", "x"}}}}}}), ConfigError);
  const auto w = PopularityWeights::from_config({{"baselines", {{"popularity_weights", {{"Purchase", 9}}}}}});
  EXPECT_FLOAT_EQ(w.purchase, 9.0f);
  EXPECT_FLOAT_EQ(w.view, 1.0f);  // untouched default
}

TEST(ItemCategorySets, PrefersCategoryThenGenreAndKeepsEveryGenre) {
  Fixture f(1, 3);
  AttributeColumn genre;
  genre.name = "genre";
  genre.intern("Action"), genre.intern("Comedy"), genre.intern("Drama");
  genre.codes = {0, 1, -1};
  genre.multi = {{1, 0}, {1}, {}};
  f.dataset.item_attributes.columns.push_back(genre);
  auto sets = item_category_sets(f.dataset);
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0], (std::vector<std::int32_t>{0, 1}));  // sorted
  EXPECT_TRUE(sets[2].empty());

  Fixture::set_categorical(f.dataset.item_attributes, "category", {"shoes", "", "hats"});
  sets = item_category_sets(f.dataset);
  EXPECT_EQ(sets[0], (std::vector<std::int32_t>{0}));
  EXPECT_TRUE(sets[1].empty());
  EXPECT_EQ(sets[2], (std::vector<std::int32_t>{1}));

  Fixture none(1, 2);
  EXPECT_TRUE(item_category_sets(none.dataset).empty());
}

TEST(CategoryBaseline, PrefersTheUsersFavouriteCategory) {
  // Items 0, 1: "books" (very popular); items 2, 3: "games" (less popular).
  Fixture f(6, 4);
  Fixture::set_categorical(f.dataset.item_attributes, "category", {"books", "books", "games", "games"});
  for (std::uint32_t u = 1; u < 5; ++u) f.add(u, 0, Part::Train), f.add(u, 1, Part::Train);
  f.add(0, 2, Part::Train);  // user 0 only plays games
  f.add(1, 3, Part::Train);
  CategoryBaseline model;
  model.fit(context_for(f));

  // User 0's favourite is games: games lead (ties by index: 2 before 3) although books are more popular.
  EXPECT_EQ(ranking(model, 0, 1), (std::vector<std::uint32_t>{2}));
  const auto top = ranking(model, 0, 4);
  EXPECT_LT(std::find(top.begin(), top.end(), 3) - top.begin(), std::find(top.begin(), top.end(), 0) - top.begin());
  // User 2 only read books: books first, in popularity order.
  EXPECT_EQ(ranking(model, 2, 2), (std::vector<std::uint32_t>{0, 1}));
  // User 5 has no history: plain popularity (books 4 events, then games).
  EXPECT_EQ(ranking(model, 5, 2), (std::vector<std::uint32_t>{0, 1}));

  const auto shares = model.user_shares(1);  // 2 books, 1 game
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_FLOAT_EQ(shares[0].second, 2.0f / 3.0f);
  EXPECT_FLOAT_EQ(shares[1].second, 1.0f / 3.0f);
  EXPECT_TRUE(model.user_shares(5).empty());

  // score_pairs agrees with score_all.
  std::vector<float> row(4);
  const std::uint32_t one[] = {1};
  model.score_all(one, row.data());
  const std::uint32_t users[] = {1, 1, 1, 1};
  const std::uint32_t items[] = {0, 1, 2, 3};
  float pairs[4];
  model.score_pairs(users, items, pairs);
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(pairs[i], row[i]);
}

TEST(CategoryBaseline, WithoutCategoriesFallsBackToPopularity) {
  Fixture f(3, 3);
  f.add(0, 1, Part::Train), f.add(1, 1, Part::Train), f.add(2, 0, Part::Train);
  CategoryBaseline model;
  model.fit(context_for(f));
  EXPECT_EQ(ranking(model, 2, 3), (std::vector<std::uint32_t>{1, 0, 2}));
}

TEST(RandomBaseline, IsSeededDeterministicAndUniform) {
  Fixture f(50, 200);
  RandomBaseline a, b, c;
  a.fit(context_for(f, {}, 7));
  b.fit(context_for(f, {}, 7));
  c.fit(context_for(f, {}, 8));
  std::vector<std::uint32_t> users(50);
  std::iota(users.begin(), users.end(), 0u);
  std::vector<float> sa(50 * 200), sb(50 * 200), sc(50 * 200);
  a.score_all(users, sa.data());
  b.score_all(users, sb.data());
  c.score_all(users, sc.data());
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  const double mean = std::accumulate(sa.begin(), sa.end(), 0.0) / static_cast<double>(sa.size());
  EXPECT_NEAR(mean, 0.5, 0.02);  // 10000 uniforms: sd of the mean ~0.003
  EXPECT_TRUE(std::all_of(sa.begin(), sa.end(), [](float s) { return s >= 0.0f && s < 1.0f; }));
  // Different users get different rankings.
  EXPECT_NE(ranking(a, 0, 10), ranking(a, 1, 10));

  const std::uint32_t pu[] = {3, 17};
  const std::uint32_t pi[] = {5, 199};
  float pairs[2];
  a.score_pairs(pu, pi, pairs);
  EXPECT_EQ(pairs[0], sa[3 * 200 + 5]);
  EXPECT_EQ(pairs[1], sa[17 * 200 + 199]);
}

TEST(ModelFamilies, TableKnowsTheThreeBaselines) {
  std::vector<std::string> baselines;
  for (const auto& family : model_families())
    if (family.baseline) baselines.push_back(family.name);
  EXPECT_EQ(baselines, (std::vector<std::string>{"popularity", "category", "random"}));
  // Every family is made from the shipped defaults (the one source of settings).
  for (const auto& name : model_family_names()) EXPECT_EQ(make_model(name, default_config())->type(), name);
  EXPECT_FALSE(model_family("hybrid").baseline);
  try {
    make_model("nope", nlohmann::json::object());
    FAIL() << "an unknown family must be rejected";
  } catch (const ConfigError& e) {  // names the known families
    EXPECT_NE(std::string(e.what()).find("popularity"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("hybrid"), std::string::npos) << e.what();
  }
}
