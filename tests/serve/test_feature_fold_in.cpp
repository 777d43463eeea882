// Behaviour fold-in (issue #19) for the networks with a content branch: a trained
// user's behaviour features recomputed at serving time from the saved training
// aggregates plus online events equal FeatureBuilder::transform of the combined
// history, bit for bit (also after the user_behaviour.safetensors round trip);
// the network scores a user's own saved row exactly as score_all does; and through
// the real server a known user's hybrid ranking changes after purchases of a category.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "data/features.h"
#include "data/generator.h"
#include "data/split.h"
#include "model/abilities.h"
#include "serve/traffic_split.h"
#include "serve_fixture.h"
#include "generated_shop.h"
#include "test_support.h"
#include "train/model_bundle.h"
#include "train/training_behaviour_file.h"

namespace hybridrec {
namespace {

void expect_same_behaviour(const TrainingBehaviour& a, const TrainingBehaviour& b) {
  EXPECT_EQ(a.purchases, b.purchases);
  EXPECT_EQ(a.price_point_sum, b.price_point_sum);
  EXPECT_EQ(a.price_point_count, b.price_point_count);
  EXPECT_EQ(a.last_time, b.last_time);
  EXPECT_EQ(a.day_offsets, b.day_offsets);
  EXPECT_EQ(a.days, b.days);
  EXPECT_EQ(a.category_offsets, b.category_offsets);
  EXPECT_EQ(a.categories, b.categories);
  EXPECT_EQ(a.category_weights, b.category_weights);
  EXPECT_EQ(a.item_category, b.item_category);
  ASSERT_EQ(a.item_price_percentile.size(), b.item_price_percentile.size());
  for (std::size_t i = 0; i < a.item_price_percentile.size(); ++i) {
    const double x = a.item_price_percentile[i], y = b.item_price_percentile[i];
    EXPECT_TRUE((std::isnan(x) && std::isnan(y)) || x == y) << "item " << i;
  }
}

}  // namespace

// Training holds back some users' latest rows; serving gets them as online events.
// The folded-in row must equal transform() of the training rows plus those rows
// (with the statistics fitted without them, as a served model's are).
TEST(FeatureFoldIn, FoldedInFeaturesEqualTheTransformOfTheCombinedHistory) {
  const Dataset d = testing::generated_shop(300, 120, 20000, 5);
  const Split full = make_split(d, SplitConfig{});

  std::vector<std::vector<std::uint32_t>> rows_of(d.num_users());
  for (auto k : full.train) rows_of[d.interactions[k].user].push_back(k);
  // Every 7th user with history gives up their latest 3 rows; every 50th, all of them
  // (a user of the id map with no training row at all).
  std::map<std::uint32_t, std::vector<std::uint32_t>> held;
  for (std::uint32_t u = 0; u < d.num_users(); ++u) {
    auto& rows = rows_of[u];
    if (rows.size() < 4 || u % 7 != 0) continue;
    std::stable_sort(rows.begin(), rows.end(), [&](auto a, auto b) { return d.interactions[a].timestamp < d.interactions[b].timestamp; });
    const std::size_t keep = u % 50 == 0 ? 0 : rows.size() - 3;
    held[u].assign(rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end());
  }
  ASSERT_GE(held.size(), 10u);
  Split training = full;
  std::vector<std::uint32_t> online_rows;
  for (const auto& [u, rows] : held) online_rows.insert(online_rows.end(), rows.begin(), rows.end());
  std::sort(online_rows.begin(), online_rows.end());
  training.train.erase(std::remove_if(training.train.begin(), training.train.end(),
                                      [&](auto k) { return std::binary_search(online_rows.begin(), online_rows.end(), k); }),
                       training.train.end());
  Split combined = training;  // the training rows in their order, then each user's online rows in time order
  for (const auto& [u, rows] : held) combined.train.insert(combined.train.end(), rows.begin(), rows.end());

  const FeatureBuilder builder = FeatureBuilder::fit(d, training);
  const FeatureSet trained = builder.transform(d, training);
  const FeatureSet expected = builder.transform(d, combined);
  TrainingBehaviour behaviour = builder.training_behaviour(d, training);
  ASSERT_EQ(behaviour.num_users(), d.num_users());
  ASSERT_TRUE(std::any_of(behaviour.item_category.begin(), behaviour.item_category.end(), [](auto c) { return c >= 0; }));
  ASSERT_TRUE(std::any_of(behaviour.item_price_percentile.begin(), behaviour.item_price_percentile.end(),
                          [](double p) { return !std::isnan(p); }))
      << "the shop has prices: the average price point is folded in too";
  const auto file = testing::scratch_dir("feature_fold_in") / "user_behaviour.safetensors";
  save_training_behaviour(file, behaviour);
  const TrainingBehaviour loaded = load_training_behaviour(file, d.num_users(), d.num_items());
  expect_same_behaviour(behaviour, loaded);

  const auto& names = trained.users.dense_names;
  const std::size_t fields = trained.users.num_categorical();
  int changed = 0;
  for (const auto& [u, rows] : held) {
    SCOPED_TRACE("user " + std::to_string(u) + ", " + std::to_string(rows.size()) + " online events");
    std::vector<HistoryEvent> online;
    for (auto k : rows) online.push_back({d.interactions[k].item, d.interactions[k].event, d.interactions[k].timestamp});
    std::vector<float> dense(trained.users.dense.row(u).data(), trained.users.dense.row(u).data() + names.size());
    std::vector<std::int32_t> cats(fields);
    for (std::size_t f = 0; f < fields; ++f) cats[f] = trained.users.categorical[f][u];
    builder.fold_in_user_behaviour(loaded, u, online, dense.data(), cats.data());
    for (std::size_t c = 0; c < names.size(); ++c) {
      EXPECT_EQ(dense[c], expected.users.dense(u, static_cast<Eigen::Index>(c))) << names[c];
      changed += dense[c] != trained.users.dense(u, static_cast<Eigen::Index>(c));
    }
    for (std::size_t f = 0; f < fields; ++f) EXPECT_EQ(cats[f], expected.users.categorical[f][u]) << trained.users.categorical_names[f];
  }
  EXPECT_GT(changed, 0) << "the held-back events must move some behaviour feature";
  // No online events: the user's trained row, unchanged.
  const std::uint32_t u = held.begin()->first + 1;
  std::vector<float> dense(trained.users.dense.row(u).data(), trained.users.dense.row(u).data() + names.size());
  std::vector<std::int32_t> cats(fields);
  for (std::size_t f = 0; f < fields; ++f) cats[f] = trained.users.categorical[f][u];
  builder.fold_in_user_behaviour(loaded, u, {}, dense.data(), cats.data());
  for (std::size_t c = 0; c < names.size(); ++c) EXPECT_EQ(dense[c], trained.users.dense(u, static_cast<Eigen::Index>(c))) << names[c];
  for (std::size_t f = 0; f < fields; ++f) EXPECT_EQ(cats[f], trained.users.categorical[f][u]);
}

TEST(FeatureFoldIn, BrokenBehaviourFileIsRefusedNamingTheTensor) {
  TrainingBehaviour b;
  b.purchases = {1, 2};
  b.price_point_sum = {0, 0};
  b.price_point_count = {0, 0};
  b.last_time = {100, 200};
  b.day_offsets = {0, 1, 3};  // ends past the two days
  b.days = {1, 2};
  b.category_offsets = {0, 0, 0};
  b.item_category = {-1};
  b.item_price_percentile = {std::nan("")};
  const auto file = testing::scratch_dir("feature_fold_in_broken") / "user_behaviour.safetensors";
  save_training_behaviour(file, b);
  try {
    load_training_behaviour(file, 2, 1);
    FAIL() << "inconsistent offsets were accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("day_offsets"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_training_behaviour(file, 3, 1), DataError) << "a file for another number of users";
}

namespace {
using namespace hybridrec::serve;
using namespace hybridrec::serve::testing;

std::string trained_champion_user(const ModelBundle& bundle) {
  for (std::uint32_t u = 0; u < bundle.users.size(); ++u)
    if (!assigned_to_challenger(bundle.users.id(u), 30) && !bundle.seen[u].empty()) return bundle.users.id(u);
  return {};
}
}  // namespace

// The trained hybrid saves its users' behaviour; its own row through the fold-in
// scoring gives score_all's scores exactly.
TEST(FeatureFoldIn, HybridScoresAUsersOwnRowAsScoreAllDoes) {
  const ModelBundle bundle = ModelBundle::load(template_workspace().parent_path() / "m1");
  ASSERT_TRUE(bundle.training_behaviour.has_value()) << "training saves user_behaviour.safetensors for the hybrid";
  const FeatureFoldIn* fold_in = bundle.recommender->feature_fold_in();
  ASSERT_NE(fold_in, nullptr);
  const auto& users = bundle.features.users;
  for (std::uint32_t u : {0u, 5u, static_cast<std::uint32_t>(bundle.users.size() - 1)}) {
    std::vector<float> expected(bundle.items.size()), got(bundle.items.size());
    bundle.recommender->score_all(std::span<const std::uint32_t>(&u, 1), expected.data());
    std::vector<std::int32_t> cats(users.num_categorical());
    CategoricalBags bags(cats.size());
    for (std::size_t f = 0; f < cats.size(); ++f) {
      cats[f] = users.categorical[f][u];
      if (users.is_bag(f))
        bags[f].assign(users.bag_codes[f].begin() + users.bag_offsets[f][u], users.bag_codes[f].begin() + users.bag_offsets[f][u + 1]);
    }
    fold_in->score_with_user_features(u, users.dense.row(u).data(), cats.data(), got.data(), &bags);
    EXPECT_EQ(got, expected) << "user " << u;
  }
}

TEST(FeatureFoldIn, KnownUsersHybridRankingChangesAfterPurchasesOfACategory) {
  const ModelBundle bundle = ModelBundle::load(template_workspace().parent_path() / "m1");
  ASSERT_TRUE(bundle.training_behaviour.has_value());
  const std::string user = trained_champion_user(bundle);
  ASSERT_FALSE(user.empty());
  const std::uint32_t u = *bundle.users.find(user);
  // The category the user touched least (not their favourite), and its items they never had.
  const auto& b = *bundle.training_behaviour;
  std::map<std::int32_t, double> weight;
  for (auto c : b.item_category)
    if (c >= 0) weight[c] = 0;
  for (auto k = b.category_offsets[u]; k < b.category_offsets[u + 1]; ++k) weight[b.categories[k]] = b.category_weights[k];
  ASSERT_GE(weight.size(), 2u);
  const auto least = std::min_element(weight.begin(), weight.end(), [](auto& x, auto& y) { return x.second < y.second; })->first;
  std::vector<std::string> to_buy;
  for (std::uint32_t i = 0; i < b.num_items() && to_buy.size() < 8; ++i)
    if (b.item_category[i] == least && !std::binary_search(bundle.seen[u].begin(), bundle.seen[u].end(), i))
      to_buy.push_back(bundle.items.id(i));
  ASSERT_GE(to_buy.size(), 4u);

  const auto ws = copy_workspace("feature_fold_in_known_user");
  for (const std::size_t cache_bytes : {std::size_t{256} << 20, std::size_t{0}}) {
    SCOPED_TRACE(cache_bytes ? "cache on" : "cache off");
    ServerOptions options;
    options.service.serving.cache_bytes = cache_bytes;
    options.service.history_token = "fold-in-token";
    RunningServer s(ws, options);
    const auto before = s.get_json("/v1/recommendations/" + user + "?k=20&exclude_seen=false");
    EXPECT_EQ(before["served_by"], cache_bytes ? "model" : "model_fold_in") << "the second run sees the first's purchases";
    if (cache_bytes) {
      // Purchases of items the response did not show: a signed request id accepts
      // only shown items, so they come as the shop backend's history.
      nlohmann::json events = nlohmann::json::array();
      for (const auto& item : to_buy) events.push_back({{"type", "purchase"}, {"item_id", item}});
      httplib::Headers headers{{"Authorization", "Bearer fold-in-token"}};
      auto res = s.client->Post(("/v1/users/" + user + "/history").c_str(), headers,
                                nlohmann::json({{"events", events}}).dump(), "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
      const auto after = s.get_json("/v1/recommendations/" + user + "?k=20&exclude_seen=false");
      EXPECT_EQ(after["served_by"], "model_fold_in");
      EXPECT_NE(after["items"], before["items"]) << "the purchases changed the user's behaviour features and so the ranking";
      const auto health = s.get_json("/healthz");
      EXPECT_EQ(health["models"][0]["fold_in"], "features");
      EXPECT_NE(health["models"][0]["fold_in_limits"].get<std::string>().find("id embedding"), std::string::npos);
    }
  }
}

}  // namespace hybridrec
