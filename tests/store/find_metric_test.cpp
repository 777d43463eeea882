// The gate metric must be the model's own value, never a baseline's or a segment's
// value that happens to carry the same name in the result format.
#include <gtest/gtest.h>

#include "store/registry.h"

using hybridrec::store::find_metric;

TEST(FindMetric, ReadsTheModelsOwnValueFromTheResultFormat) {
  nlohmann::json report = {
      {"baselines", {{"category", {{"ranking", {{"ndcg@10", 0.9}}}}}}},
      {"metrics", {{"ranking", {{"ndcg@10", 0.2}}}}},
      {"segments", {{"active_users", {{"ndcg@10", 0.8}}}}},
  };
  ASSERT_TRUE(find_metric(report, "ndcg@10"));
  EXPECT_DOUBLE_EQ(*find_metric(report, "ndcg@10"), 0.2);
}

TEST(FindMetric, FlatAndSectionedMetricsStillWork) {
  EXPECT_DOUBLE_EQ(*find_metric({{"ndcg@10", 0.4}}, "ndcg@10"), 0.4);
  EXPECT_DOUBLE_EQ(*find_metric({{"ranking", {{"ndcg@10", 0.5}}}}, "ndcg@10"), 0.5);
  EXPECT_FALSE(find_metric({{"baselines", {{"popularity", {{"ndcg@10", 0.5}}}}}}, "ndcg@10"));
}
