// Batch recommendations (recommend --all-users, the Python package) are the
// single-user path run in parallel blocks: the same lists and scores for every
// route, training items left out unless asked, fallback scores on a 0-1 scale.
#include <gtest/gtest.h>

#include <algorithm>

#include "generated_shop.h"
#include "test_support.h"
#include "train/batch_recommend.h"
#include "train/config.h"
#include "train/pipeline.h"

using namespace hybridrec;

namespace {

ModelBundle trained(const std::string& type) {
  auto dir = hybridrec::testing::scratch_dir(type);
  hybridrec::testing::write_generated_shop(dir / "shop", 200, 80, 6000, 3);
  TrainRequest r;
  r.data = dir / "shop";
  r.config = default_config();
  r.config["model"]["type"] = type;
  r.config["model"]["embedding_dim"] = 8;
  r.config["model"]["hidden_layers"] = {16, 8};
  r.config["training"]["num_epochs"] = 1;
  r.out = dir / "model";
  r.progress = Progress::Mode::Quiet;
  run_training(r);
  return ModelBundle::load(dir / "model");
}

}  // namespace

TEST(BatchRecommend, EqualsTheSingleUserPathOnEveryRoute) {
  // ncf has no cold path: users without training history go to popularity.
  const ModelBundle bundle = trained("ncf");
  std::vector<std::uint32_t> users(bundle.users.size());
  for (std::uint32_t u = 0; u < users.size(); ++u) users[u] = u;
  BatchRecommendOptions options;
  options.k = 7;
  options.threads = 2;
  std::size_t last_progress = 0;
  options.on_progress = [&](std::size_t done) { last_progress = std::max(last_progress, done); };
  std::vector<Route> routes;
  const auto lists = recommend_batch(bundle, users, options, &routes);
  ASSERT_EQ(lists.size(), users.size());
  EXPECT_EQ(last_progress, users.size());
  std::size_t by_popularity = 0;
  for (std::uint32_t u : users) {
    std::string path;
    const auto single = bundle.recommend(u, 7, &path);
    EXPECT_EQ(route_name(routes[u]), path);
    ASSERT_EQ(lists[u].size(), single.size()) << u;
    // A block of users is one matrix product, a single user another: the same
    // scores up to float rounding, so the same items unless two tie that closely.
    for (std::size_t r = 0; r < single.size(); ++r) {
      EXPECT_NEAR(lists[u][r].score, single[r].score, 1e-5f) << "user " << u << " rank " << r;
      if (lists[u][r].item == single[r].item) continue;
      const auto other = std::find_if(single.begin(), single.end(),
                                      [&](const ScoredItem& s) { return s.item == lists[u][r].item; });
      ASSERT_NE(other, single.end()) << "user " << u << ": item " << lists[u][r].item << " only in the batch list";
      EXPECT_NEAR(other->score, single[r].score, 1e-5f) << "user " << u << ": ranks differ beyond a near tie";
    }
    for (const auto& s : lists[u])
      EXPECT_FALSE(std::binary_search(bundle.seen[u].begin(), bundle.seen[u].end(), s.item)) << "a training item";
    if (routes[u] == Route::popularity) {
      ++by_popularity;
      for (const auto& s : lists[u]) EXPECT_TRUE(s.score >= 0.0f && s.score <= 1.0f) << s.score;
    }
  }
  EXPECT_GT(by_popularity, 0u) << "the temporal split leaves users without history";
}

TEST(BatchRecommend, KeepsTrainingItemsWhenAskedAndScalesTheFallback) {
  const ModelBundle bundle = trained("popularity");
  std::vector<std::uint32_t> users;
  for (std::uint32_t u = 0; u < bundle.users.size(); ++u)
    if (!bundle.seen[u].empty()) users.push_back(u);
  BatchRecommendOptions options;
  options.k = 5;
  options.exclude_seen = false;
  const auto lists = recommend_batch(bundle, users, options);
  std::size_t seen_listed = 0;
  for (std::size_t j = 0; j < users.size(); ++j)
    for (const auto& s : lists[j])
      seen_listed += std::binary_search(bundle.seen[users[j]].begin(), bundle.seen[users[j]].end(), s.item);
  EXPECT_GT(seen_listed, 0u) << "popular items are among many users' training items";
  // A new user's list: the most popular item scores 1, not its raw weight.
  std::string path;
  const auto fresh = bundle.recommend_new_user({}, 3, &path);
  EXPECT_EQ(path, "popularity");
  ASSERT_FALSE(fresh.empty());
  EXPECT_FLOAT_EQ(fresh.front().score, 1.0f);
}
