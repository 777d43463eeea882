// A served model whose weights went non-finite (a damaged file, an overflow)
// must never put NaN or infinity in a response (issue #17): the request falls
// back to popularity and says so in served_by. A serving copy changed on disk is
// never loaded: it is checked out again from the verified artifact store.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "damaged_model.h"
#include "serve_fixture.h"

namespace hybridrec::serve::testing {
namespace {

std::vector<std::filesystem::path> serving_copies(const std::filesystem::path& workspace) {
  std::vector<std::filesystem::path> files;
  for (const auto& model : std::filesystem::directory_iterator(workspace / "serving" / "models"))
    if (std::filesystem::exists(model.path() / "model.safetensors")) files.push_back(model.path() / "model.safetensors");
  return files;
}

// The scoring path itself: a model directory whose weights are infinite.
TEST(NonFiniteScores, AModelScoringNaNOrInfinityIsAnsweredByPopularity) {
  const auto workspace = copy_workspace("non-finite");
  { RunningServer checkout(workspace); }  // the first start checks the models out into serving/models
  const auto files = serving_copies(workspace);
  ASSERT_FALSE(files.empty());
  hybridrec::testing::fill_tensors_with_infinity(files.front());
  const ServedModel model("damaged", "v0", files.front().parent_path(), ServingOptions{});
  for (const std::string user : {"u000001", "u000002", "u000003"}) {
    for (double diversity : {0.0, 0.5}) {
      RecommendQuery q;
      q.user_id = user;
      q.k = 5;
      q.diversity = diversity;
      const RecommendAnswer answer = model.recommend(q);
      EXPECT_EQ(answer.served_by, "popularity_non_finite");
      ASSERT_EQ(answer.items.size(), 5u);
      for (const auto& item : answer.items) EXPECT_TRUE(std::isfinite(item.score));
    }
  }
}

// The serving copy is hashed at load: a changed file is checked out again from
// the (verified) artifact store instead of being served, and /metrics counts it.
TEST(ServingCopyIntegrity, AChangedServingCopyIsCheckedOutAgainBeforeItIsServed) {
  const auto workspace = copy_workspace("tampered");
  { RunningServer checkout(workspace); }
  const auto files = serving_copies(workspace);
  for (const auto& file : files) hybridrec::testing::fill_tensors_with_infinity(file);
  RunningServer s(workspace);
  auto r = s.get_json("/v1/recommendations/u000001?k=5");
  EXPECT_EQ(r["served_by"], "model") << r.dump();
  for (const auto& item : r["items"]) EXPECT_TRUE(item["score"].is_number()) << r.dump();
  const auto health = s.get_json("/healthz");
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["model_load"]["repaired_serving_copies"], files.size());
  const std::string metrics = s.client->Get("/metrics")->body;
  EXPECT_NE(metrics.find("hybridrec_serving_copy_repairs_total " + std::to_string(files.size())), std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace hybridrec::serve::testing
