#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/ranking_metrics.h"
#include "model/recommender.h"

using namespace hybridrec;

namespace {
// ranked [3, 1, 7, 5, 9], relevant {1, 5, 8}: hits at ranks 2 and 4, one relevant item never ranked.
const std::vector<std::uint32_t> kRanked{3, 1, 7, 5, 9};
const std::vector<std::uint32_t> kRelevant{1, 5, 8};
const double kLog3 = std::log2(3.0), kLog5 = std::log2(5.0);
}  // namespace

TEST(RankingMetrics, HitsMarkRelevantRanks) {
  EXPECT_EQ(relevance_hits(kRanked, kRelevant), (std::vector<std::uint8_t>{0, 1, 0, 1, 0}));
}

TEST(RankingMetrics, PrecisionRecallOnHandExample) {
  const auto hits = relevance_hits(kRanked, kRelevant);
  EXPECT_DOUBLE_EQ(precision_at_k(hits, 1), 0.0);
  EXPECT_DOUBLE_EQ(precision_at_k(hits, 3), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(precision_at_k(hits, 5), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(recall_at_k(hits, 3, 3), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(recall_at_k(hits, 3, 5), 2.0 / 3.0);
}

TEST(RankingMetrics, NdcgUsesLog2OfRankPlusOne) {
  const auto hits = relevance_hits(kRanked, kRelevant);
  // DCG = 1/log2(3) + 1/log2(5); IDCG = three hits at ranks 1..3 = 1 + 1/log2(3) + 1/2.
  EXPECT_NEAR(ndcg_at_k(hits, 3, 5), (1.0 / kLog3 + 1.0 / kLog5) / (1.0 + 1.0 / kLog3 + 0.5), 1e-12);
  // At K=2 the ideal list has only two hits: IDCG = 1 + 1/log2(3).
  EXPECT_NEAR(ndcg_at_k(hits, 3, 2), (1.0 / kLog3) / (1.0 + 1.0 / kLog3), 1e-12);
  const std::vector<std::uint8_t> perfect{1, 1, 1, 0};
  EXPECT_DOUBLE_EQ(ndcg_at_k(perfect, 3, 4), 1.0);
}

TEST(RankingMetrics, MapNormalisationsDifferWhenRelevantExceedsK) {
  const auto hits = relevance_hits(kRanked, kRelevant);
  // Precision at the hit ranks: 1/2 (rank 2), 2/4 (rank 4).
  EXPECT_DOUBLE_EQ(average_precision_at_k(hits, 3, 5), (0.5 + 0.5) / 3.0);
  EXPECT_DOUBLE_EQ(average_precision_all_at_k(hits, 3, 5), (0.5 + 0.5) / 3.0);
  // K=2: only the rank-2 hit; map@2 divides by min(2, 3) = 2, map_all@2 by 3.
  EXPECT_DOUBLE_EQ(average_precision_at_k(hits, 3, 2), 0.5 / 2.0);
  EXPECT_DOUBLE_EQ(average_precision_all_at_k(hits, 3, 2), 0.5 / 3.0);
}

TEST(RankingMetrics, HitRateAndReciprocalRank) {
  const auto hits = relevance_hits(kRanked, kRelevant);
  EXPECT_DOUBLE_EQ(hit_rate_at_k(hits, 1), 0.0);
  EXPECT_DOUBLE_EQ(hit_rate_at_k(hits, 2), 1.0);
  EXPECT_DOUBLE_EQ(reciprocal_rank_at_k(hits, 1), 0.0);
  EXPECT_DOUBLE_EQ(reciprocal_rank_at_k(hits, 5), 0.5);
}

TEST(RankingMetrics, KLargerThanTheListCountsMissingRanksAsMisses) {
  // A two-item catalogue evaluated at K=5.
  const std::vector<std::uint8_t> hits{0, 1};
  EXPECT_DOUBLE_EQ(precision_at_k(hits, 5), 1.0 / 5.0);
  EXPECT_DOUBLE_EQ(recall_at_k(hits, 1, 5), 1.0);
  EXPECT_NEAR(ndcg_at_k(hits, 1, 5), 1.0 / kLog3, 1e-12);
  EXPECT_DOUBLE_EQ(average_precision_at_k(hits, 1, 5), 0.5);
  EXPECT_DOUBLE_EQ(hit_rate_at_k(hits, 5), 1.0);
}

TEST(RankingMetrics, NoRelevantItemsGivesZeroNotNaN) {
  const std::vector<std::uint8_t> hits{0, 0, 0};
  EXPECT_DOUBLE_EQ(recall_at_k(hits, 0, 3), 0.0);
  EXPECT_DOUBLE_EQ(ndcg_at_k(hits, 0, 3), 0.0);
  EXPECT_DOUBLE_EQ(average_precision_at_k(hits, 0, 3), 0.0);
  EXPECT_DOUBLE_EQ(average_precision_all_at_k(hits, 0, 3), 0.0);
}

TEST(RankingMetrics, TiedScoresRankByLowerItemIndex) {
  // Items 0, 2, 3 tie at 0.5: top_k keeps them in index order behind item 1.
  const std::vector<float> scores{0.5f, 0.9f, 0.5f, 0.5f};
  const auto top = top_k(scores, 3);
  std::vector<std::uint32_t> ranked;
  for (const auto& s : top) ranked.push_back(s.item);
  EXPECT_EQ(ranked, (std::vector<std::uint32_t>{1, 0, 2}));
  const std::vector<std::uint32_t> relevant{2, 3};
  const auto hits = relevance_hits(ranked, relevant);
  EXPECT_DOUBLE_EQ(precision_at_k(hits, 3), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(reciprocal_rank_at_k(hits, 3), 1.0 / 3.0);
}

TEST(RankingMetricSet, SortsKsAndNamesColumns) {
  const RankingMetricSet set({10, 5, 5});
  EXPECT_EQ(set.ks(), (std::vector<int>{5, 10}));
  EXPECT_EQ(set.max_k(), 10u);
  EXPECT_EQ(set.width(), 2u * 7u + 1u);
  EXPECT_EQ(set.names().front(), "precision@5");
  EXPECT_EQ(set.names().back(), "mrr");
  EXPECT_EQ(set.names()[set.column("map_all@10")], "map_all@10");
  EXPECT_THROW(set.column("nope@3"), Error);
  EXPECT_THROW(RankingMetricSet({}), ConfigError);
  EXPECT_THROW(RankingMetricSet({0}), ConfigError);
}

TEST(RankingMetricSet, RowsMatchThePureFunctionsAndMeansExcludeUsersWithoutRelevant) {
  const RankingMetricSet set({2, 5});
  const auto hits = relevance_hits(kRanked, kRelevant);
  std::vector<double> row(set.width());
  set.compute(hits, 3, 0.25, row.data());
  EXPECT_DOUBLE_EQ(row[set.column("precision@5")], 0.4);
  EXPECT_DOUBLE_EQ(row[set.column("map@2")], 0.25);
  EXPECT_DOUBLE_EQ(row[set.column("mrr@5")], 0.5);
  EXPECT_DOUBLE_EQ(row[set.column("mrr")], 0.25);

  std::vector<double> other(set.width());
  const std::vector<std::uint8_t> first_hit{1, 0, 0, 0, 0};
  set.compute(first_hit, 1, 1.0, other.data());
  RankingMeans means(set);
  means.add(row.data());
  means.add(other.data());
  means.add_without_relevant();
  EXPECT_EQ(means.users(), 2u);
  EXPECT_EQ(means.users_without_relevant(), 1u);
  const auto json = means.to_json();
  EXPECT_DOUBLE_EQ(json["precision@5"].get<double>(), (0.4 + 0.2) / 2.0);
  EXPECT_DOUBLE_EQ(json["hit_rate@2"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(json["mrr"].get<double>(), (0.25 + 1.0) / 2.0);
}
