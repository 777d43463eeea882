// The serving building blocks without HTTP: traffic assignment, the z-test, MMR,
// the durable log and request parsing.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "serve/durable_log.h"
#include "serve/mmr.h"
#include "serve/online_metrics.h"
#include "serve/request_error.h"
#include "serve/request_parsing.h"
#include "serve/service.h"
#include "serve/traffic_split.h"
#include "test_support.h"

using namespace hybridrec;
using namespace hybridrec::serve;

TEST(TrafficSplit, ShareOfManyUsersMatchesTheConfiguredPercentage) {
  for (double percent : {1.0, 10.0, 30.0, 50.0, 90.0}) {
    int challenger = 0;
    const int users = 40000;
    for (int i = 0; i < users; ++i) challenger += assigned_to_challenger("user-" + std::to_string(i), percent);
    EXPECT_NEAR(100.0 * challenger / users, percent, 0.75) << percent;
  }
  EXPECT_FALSE(assigned_to_challenger("anyone", 0));
  EXPECT_TRUE(assigned_to_challenger("anyone", 100));
}

TEST(TrafficSplit, AUserKeepsItsModelAndAGrowingCanaryOnlyAddsUsers) {
  for (int i = 0; i < 5000; ++i) {
    const std::string id = "u" + std::to_string(i * 7919);
    EXPECT_EQ(assigned_to_challenger(id, 20), assigned_to_challenger(id, 20));
    if (assigned_to_challenger(id, 10)) {
      EXPECT_TRUE(assigned_to_challenger(id, 20)) << id;
    }
  }
}

TEST(OnlineMetrics, TwoProportionZTestMatchesAHandComputedValue) {
  // 100/1000 vs 130/1000: pooled p = 0.115, se = sqrt(0.115*0.885*0.002) = 0.014267, z = 2.1027
  auto t = two_proportion_z_test(100, 1000, 130, 1000);
  EXPECT_NEAR(t.z, 2.1027, 1e-3);
  EXPECT_NEAR(t.p_value, 0.0355, 1e-3);
  EXPECT_TRUE(t.significant);
  EXPECT_NEAR(t.relative_lift, 0.3, 1e-9);
  auto same = two_proportion_z_test(50, 500, 50, 500);
  EXPECT_NEAR(same.z, 0.0, 1e-12);
  EXPECT_FALSE(same.significant);
}

TEST(OnlineMetrics, CountsResponsesNotRepeatedEvents) {
  OnlineMetrics m;
  m.record("a", "r1", FeedbackType::impression);
  m.record("a", "r1", FeedbackType::click);
  m.record("a", "r1", FeedbackType::click);  // a second click on the same response
  m.record("a", "r2", FeedbackType::impression);
  m.record("a", "r3", FeedbackType::purchase);  // implies it was shown
  auto c = m.counters("a");
  EXPECT_EQ(c.impressions, 3u);
  EXPECT_EQ(c.clicks, 1u);
  EXPECT_EQ(c.conversions, 1u);
  EXPECT_EQ(c.events, 5u);
  EXPECT_NEAR(c.ctr(), 1.0 / 3, 1e-12);
}

TEST(DurableLog, ConcurrentAppendsAreAllOnDiskAndShareFlushes) {
  const auto dir = hybridrec::testing::scratch_dir("log");
  DurableLog log(dir / "events.jsonl");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 50; ++i) log.append({{"thread", t}, {"i", i}});
    });
  for (auto& th : threads) th.join();
  std::size_t lines = 0;
  EXPECT_EQ(DurableLog::read(dir / "events.jsonl", [&](const nlohmann::json&) { ++lines; }), 0u);
  EXPECT_EQ(lines, 400u);
  EXPECT_LE(log.flushes(), 400u);
}

TEST(DurableLog, ATornLastLineIsSkippedAndTheNextAppendStartsAFreshLine) {
  const auto dir = hybridrec::testing::scratch_dir("torn");
  {
    std::ofstream out(dir / "events.jsonl");
    out << "{\"type\":\"click\",\"request_id\":\"m:0000000000000001\",\"model_id\":\"m\"}\n{\"type\":\"cli";
  }
  DurableLog log(dir / "events.jsonl");
  log.append({{"type", "click"}, {"request_id", "m:0000000000000002"}, {"model_id", "m"}});
  std::size_t good = 0;
  EXPECT_EQ(DurableLog::read(dir / "events.jsonl", [&](const nlohmann::json&) { ++good; }), 1u);
  EXPECT_EQ(good, 2u);
  OnlineMetrics m;
  EXPECT_EQ(m.replay(dir / "events.jsonl"), 1u);
  EXPECT_EQ(m.counters("m").clicks, 2u);
}

TEST(Mmr, ZeroDiversityKeepsTheModelOrderAndHighDiversitySpreadsTheList) {
  // Items 0-5 are near-duplicates (one direction), 6-11 point elsewhere, each a little apart.
  RowMatrix emb(12, 3);
  for (int i = 0; i < 12; ++i) emb.row(i) << (i < 6 ? 1.0f : 0.0f), (i < 6 ? 0.0f : 1.0f), 0.05f * static_cast<float>(i % 6);
  const RowMatrix unit = normalise_rows(emb);
  std::vector<ScoredItem> candidates;
  for (std::uint32_t i = 0; i < 12; ++i) candidates.push_back({i, 1.0f - 0.01f * static_cast<float>(i)});
  auto plain = mmr_rerank(candidates, 4, 0.0, unit);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(plain[i].item, i);
  auto diverse = mmr_rerank(candidates, 4, 0.7, unit);
  EXPECT_EQ(diverse[0].item, 0u);  // the best item always leads
  EXPECT_GE(diverse[1].item, 6u);  // then the best of the other cluster
  EXPECT_LT(intra_list_similarity(diverse, unit), intra_list_similarity(plain, unit));
}

// A family without item vectors (ease, itemknn) diversifies with its learned
// item-item similarity: the same re-ranking through a similarity function.
TEST(Mmr, ALearnedSimilarityDiversifiesLikeEmbeddings) {
  const ItemSimilarityFn same_cluster = [](std::uint32_t a, std::uint32_t b) {
    return (a < 6) == (b < 6) ? 0.9f : 0.0f;
  };
  std::vector<ScoredItem> candidates;
  for (std::uint32_t i = 0; i < 12; ++i) candidates.push_back({i, 1.0f - 0.01f * static_cast<float>(i)});
  auto plain = mmr_rerank(candidates, 4, 0.0, same_cluster);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(plain[i].item, i);
  auto diverse = mmr_rerank(candidates, 4, 0.7, same_cluster);
  EXPECT_EQ(diverse[0].item, 0u);
  EXPECT_GE(diverse[1].item, 6u);
  // No similarity at all: MMR keeps the model's order.
  auto none = mmr_rerank(candidates, 4, 0.7, ItemSimilarityFn{});
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(none[i].item, i);
}

TEST(RequestParsing, RejectsEveryMalformedParameterWithANamedReason) {
  auto status_of = [](const QueryParams& p, const std::string& user = "u1") -> std::string {
    try {
      parse_recommend_query(user, p);
      return "accepted";
    } catch (const RequestError& e) {
      EXPECT_EQ(e.status(), 400);
      return e.what();
    }
  };
  EXPECT_EQ(status_of({{"k", "5"}, {"diversity", "0.5"}, {"exclude_seen", "false"}}), "accepted");
  EXPECT_NE(status_of({{"k", "0"}}).find("'k' must be in [1, 1000]"), std::string::npos);
  EXPECT_NE(status_of({{"k", "1001"}}).find("'k'"), std::string::npos);
  EXPECT_NE(status_of({{"k", "ten"}}).find("integer"), std::string::npos);
  EXPECT_NE(status_of({{"k", "5x"}}).find("integer"), std::string::npos);
  EXPECT_NE(status_of({{"diversity", "1.5"}}).find("diversity"), std::string::npos);
  EXPECT_NE(status_of({{"diversity", "nan"}}).find("diversity"), std::string::npos);
  EXPECT_NE(status_of({{"exclude_seen", "maybe"}}).find("exclude_seen"), std::string::npos);
  EXPECT_NE(status_of({{"kk", "5"}}).find("unknown parameter 'kk'"), std::string::npos);
  EXPECT_NE(status_of({{"k", "5"}, {"k", "6"}}).find("more than once"), std::string::npos);
  EXPECT_NE(status_of({}, std::string("a\x01" "b")).find("control character"), std::string::npos);
  EXPECT_NE(status_of({}, std::string(300, 'x')).find("at most 256"), std::string::npos);
}

TEST(RequestIds, CarryTheAnsweringModelAndRejectForgeries) {
  const auto id = make_request_id("rec-model-v1.2.3");
  EXPECT_EQ(model_of_request_id(id), "rec-model-v1.2.3");
  EXPECT_NE(make_request_id("m"), make_request_id("m"));
  for (const char* bad : {"", "nocolon", ":0123456789abcdef", "m:0123", "m:0123456789abcdeg", "m\"x:0123456789abcdef"})
    EXPECT_THROW(model_of_request_id(bad), RequestError) << bad;
}
