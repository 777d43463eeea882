#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/business_metrics.h"
#include "eval/fairness.h"
#include "eval/prediction_metrics.h"

using namespace hybridrec;

TEST(PredictionMetrics, RmseAndMaeOnHandExample) {
  const std::vector<float> predicted{0.5f, 1.0f, 0.0f, 0.25f};
  const std::vector<float> labels{1.0f, 1.0f, 0.0f, 0.0f};
  const auto m = prediction_errors(predicted, labels);
  // Errors -0.5, 0, 0, 0.25: squares 0.25 + 0.0625 = 0.3125.
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(0.3125 / 4.0));
  EXPECT_DOUBLE_EQ(m.mae, 0.75 / 4.0);
  EXPECT_EQ(m.count, 4u);
  const auto empty = prediction_errors({}, {});
  EXPECT_EQ(empty.count, 0u);
  EXPECT_DOUBLE_EQ(empty.rmse, 0.0);
}

TEST(PredictionMetrics, ScoreToRatingMapsTheUnitIntervalOntoTheScale) {
  EXPECT_FLOAT_EQ(score_to_rating(0.0f, 1.0f, 5.0f), 1.0f);
  EXPECT_FLOAT_EQ(score_to_rating(0.5f, 1.0f, 5.0f), 3.0f);
  EXPECT_FLOAT_EQ(score_to_rating(1.0f, 1.0f, 5.0f), 5.0f);
  EXPECT_FLOAT_EQ(score_to_rating(7.0f, 1.0f, 5.0f), 5.0f);   // clamped
  EXPECT_FLOAT_EQ(score_to_rating(-2.0f, 0.5f, 5.0f), 0.5f);  // clamped
}

TEST(BusinessMetrics, CoverageCountsDistinctItems) {
  const std::vector<std::uint32_t> pooled{0, 1, 1, 3, 0};
  EXPECT_DOUBLE_EQ(catalog_coverage(pooled, 10), 3.0 / 10.0);
  EXPECT_DOUBLE_EQ(catalog_coverage({}, 10), 0.0);
}

TEST(BusinessMetrics, JaccardDistanceOnGenreSets) {
  const std::vector<std::int32_t> action_comedy{0, 1}, comedy{1}, drama{2};
  EXPECT_DOUBLE_EQ(jaccard_distance(action_comedy, comedy), 0.5);
  EXPECT_DOUBLE_EQ(jaccard_distance(comedy, drama), 1.0);
  EXPECT_DOUBLE_EQ(jaccard_distance(comedy, comedy), 0.0);
}

TEST(BusinessMetrics, IntraListDiversitySkipsUncategorisedItems) {
  const std::vector<std::vector<std::int32_t>> categories{{0, 1}, {1}, {2}, {}};
  // Pairs (0,1)=0.5, (0,2)=1, (1,2)=1; item 3 has no category and is skipped.
  const std::vector<std::uint32_t> list{0, 1, 2, 3};
  EXPECT_NEAR(intra_list_diversity(list, categories), 2.5 / 3.0, 1e-12);
  const std::vector<std::uint32_t> lonely{0, 3};
  EXPECT_TRUE(std::isnan(intra_list_diversity(lonely, categories)));
}

TEST(BusinessMetrics, NoveltyRanksAndSelfInformation) {
  // Degrees: item 0 most popular, items 1 and 2 tie, item 3 unseen.
  const std::vector<std::size_t> degree{7, 3, 3, 0};
  const NoveltyModel novelty(degree, 7);
  EXPECT_DOUBLE_EQ(novelty.rank_novelty(0), 0.0);
  EXPECT_DOUBLE_EQ(novelty.rank_novelty(1), 1.5 / 3.0);  // ranks 1 and 2 (0-based) share 1.5
  EXPECT_DOUBLE_EQ(novelty.rank_novelty(2), 1.5 / 3.0);
  EXPECT_DOUBLE_EQ(novelty.rank_novelty(3), 1.0);
  EXPECT_DOUBLE_EQ(novelty.self_information(0), 0.0);  // (7+1)/(7+1)
  EXPECT_DOUBLE_EQ(novelty.self_information(3), 3.0);  // -log2(1/8)
  const std::vector<std::uint32_t> list{0, 3};
  EXPECT_DOUBLE_EQ(novelty.mean_rank_novelty(list), 0.5);
  EXPECT_DOUBLE_EQ(novelty.mean_self_information(list), 1.5);
}

TEST(BusinessMetrics, SerendipityNeedsRelevantAndUnexpected) {
  const std::vector<std::uint32_t> list{4, 1, 7, 2};
  const std::vector<std::uint32_t> relevant{1, 2, 7};
  const std::vector<std::uint32_t> popular{1, 4};  // what popularity would have shown anyway
  EXPECT_DOUBLE_EQ(serendipity(list, relevant, popular), 2.0 / 4.0);  // 7 and 2
  EXPECT_DOUBLE_EQ(serendipity({}, relevant, popular), 0.0);
}

TEST(Fairness, GroupGapIsTheLargestDifferenceOfGroupMeans) {
  const std::vector<std::int32_t> group{0, 0, 1, 1, 2, -1};
  const std::vector<double> value{1.0, 0.0, 1.0, 1.0, 0.25, 100.0};
  const auto g = group_gap(group, value, 4);
  EXPECT_DOUBLE_EQ(g.means[0], 0.5);
  EXPECT_DOUBLE_EQ(g.means[1], 1.0);
  EXPECT_DOUBLE_EQ(g.means[2], 0.25);
  EXPECT_EQ(g.users[3], 0u);              // empty group ignored
  EXPECT_DOUBLE_EQ(g.gap, 1.0 - 0.25);    // the ungrouped user (-1) is excluded
  EXPECT_DOUBLE_EQ(group_gap(std::vector<std::int32_t>{0}, std::vector<double>{0.3}, 1).gap, 0.0);
}

TEST(Fairness, NumericAttributesAreBucketedIntoQuartiles) {
  Dataset d;
  for (int u = 0; u < 8; ++u) d.users.intern("u" + std::to_string(u));
  AttributeColumn age;
  age.name = "age";
  age.kind = AttributeColumn::Kind::Numeric;
  age.numbers = {18, 20, 25, 30, 35, 40, 60, std::nanf("")};
  d.user_attributes.columns.push_back(age);
  UserGroups groups;
  ASSERT_TRUE(user_groups(d, "age", groups));
  EXPECT_EQ(groups.labels.size(), 4u);
  EXPECT_EQ(groups.group[0], 0);
  EXPECT_EQ(groups.group[6], 3);
  EXPECT_EQ(groups.group[7], -1);
  EXPECT_LE(groups.group[2], groups.group[4]);
  // No categorical attribute: default grouping is unavailable, a wrong name is an error.
  EXPECT_FALSE(user_groups(d, "", groups));
  EXPECT_THROW(user_groups(d, "income", groups), ConfigError);
}
