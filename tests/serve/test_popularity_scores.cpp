// Popularity answers (a visitor nobody knows, a model that scored NaN) carry
// scores on the model's 0-1 scale, the top item 1, as offline and batch
// recommend report them (issue #18): never raw interaction counts beside a
// model's sigmoid scores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "damaged_model.h"
#include "serve_fixture.h"

namespace hybridrec::serve::testing {
namespace {

float top_count(const ModelBundle& bundle) { return *std::max_element(bundle.popularity.begin(), bundle.popularity.end()); }

// Every score is the item's count over the top count (so in [0, 1]), in order.
void expect_scaled_popularity(const ModelBundle& bundle, const nlohmann::json& items) {
  ASSERT_FALSE(items.empty());
  const float top = top_count(bundle);
  double previous = 1.0;
  for (const auto& item : items) {
    const auto index = bundle.items.find(item["item_id"].get<std::string>());
    ASSERT_TRUE(index.has_value()) << item.dump();
    const double score = item["score"].get<double>();
    EXPECT_GE(score, 0.0) << item.dump();
    EXPECT_LE(score, 1.0) << item.dump();
    EXPECT_NEAR(score, bundle.popularity[*index] / top, 1e-6) << item.dump();
    EXPECT_LE(score, previous + 1e-9) << "not in descending order: " << items.dump();
    previous = score;
  }
}

TEST(PopularityFallbackScores, AVisitorsPopularityAnswerIsScaledLikeTheModelsScores) {
  RunningServer s(copy_workspace("popularity-scale"));
  const ModelBundle& bundle = s.server->service().models().current()->champion->bundle();
  // Only meaningful where raw counts would show: the top item has more than one interaction.
  ASSERT_GT(top_count(bundle), 1.0f);
  const auto popular = s.get_json("/v1/recommendations/brand-new-visitor-18?k=10");
  ASSERT_EQ(popular["served_by"], "popularity") << popular.dump();
  expect_scaled_popularity(bundle, popular["items"]);
  EXPECT_DOUBLE_EQ(popular["items"][0]["score"].get<double>(), 1.0);  // nothing excluded: the top item leads

  // A known user's model answer is on the same scale.
  const auto known = s.get_json("/v1/recommendations/u000001?k=10");
  ASSERT_EQ(known["served_by"], "model") << known.dump();
  for (const auto& item : known["items"]) {
    EXPECT_GE(item["score"].get<double>(), 0.0);
    EXPECT_LE(item["score"].get<double>(), 1.0);
  }
}

TEST(PopularityFallbackScores, TheNonFiniteFallbackIsScaledToo) {
  const auto workspace = copy_workspace("popularity-scale-non-finite");
  { RunningServer checkout(workspace); }  // the first start checks the models out into serving/models
  std::filesystem::path damaged;
  for (const auto& model : std::filesystem::directory_iterator(workspace / "serving" / "models"))
    if (std::filesystem::exists(model.path() / "model.safetensors")) damaged = model.path();
  ASSERT_FALSE(damaged.empty());
  hybridrec::testing::fill_tensors_with_infinity(damaged / "model.safetensors");
  const ServedModel model("damaged", "v0", damaged, ServingOptions{});
  RecommendQuery q;
  q.user_id = "u000001";
  q.k = 5;
  const RecommendAnswer answer = model.recommend(q);
  ASSERT_EQ(answer.served_by, "popularity_non_finite");
  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : answer.items)
    items.push_back({{"item_id", model.bundle().items.id(item.item)}, {"score", item.score}});
  expect_scaled_popularity(model.bundle(), items);
}

}  // namespace
}  // namespace hybridrec::serve::testing
