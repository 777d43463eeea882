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
#include "serve/request_signing.h"
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

namespace {
// The reason an id is refused with ("" if it is accepted).
std::string refusal(const RequestSigner& signer, const std::string& id, std::int64_t now = 1'700'000'000,
                    std::int64_t max_age = 86400) {
  try {
    signer.verify(id, now, max_age);
    return "";
  } catch (const EventRefused& e) {
    return e.reason();
  }
}
}  // namespace

TEST(RequestIds, CarryModelUserTimeAndItemsUnderASignature) {
  const RequestSigner signer("0123456789abcdef0123456789abcdef");
  const std::vector<std::string> items = {"i00014", "i00140", "i00401"};
  const auto id = signer.issue("rec-model-v1.2.3", "u000649", items, 1'700'000'000);
  const auto issued = signer.verify(id, 1'700'000'100, 86400);
  EXPECT_EQ(issued.model_id, "rec-model-v1.2.3");
  EXPECT_EQ(issued.user_id, "u000649");
  EXPECT_EQ(issued.issued_at, 1'700'000'000);
  for (const auto& item : items) EXPECT_TRUE(signer.in_response(issued, item)) << item;
  for (const char* other : {"i00015", "i0001", "I00014", ""}) EXPECT_FALSE(signer.in_response(issued, other)) << other;
  // Two answers with the same content are still two responses.
  EXPECT_NE(signer.issue("m", "u", items, 5), signer.issue("m", "u", items, 5));
  // A thousand items (the largest k) stay under the accepted length.
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) many.push_back("item-" + std::to_string(i));
  const auto long_id = signer.issue("rec-model-v1.2.3", std::string(256, 'u'), many, 1'700'000'000);
  EXPECT_LE(long_id.size(), kMaxRequestIdBytes);
  const auto all = signer.verify(long_id, 1'700'000'000, 86400);
  EXPECT_EQ(all.item_fingerprints.size(), 1000u);
  for (const auto& item : many) EXPECT_TRUE(signer.in_response(all, item));
}

TEST(RequestIds, ForgedTamperedForeignAndExpiredIdsAreRefused) {
  const RequestSigner signer("0123456789abcdef0123456789abcdef");
  const auto id = signer.issue("m", "u1", {"a", "b"}, 1'700'000'000);
  EXPECT_EQ(refusal(signer, id), "");
  // Not ours at all: the old unsigned format, garbage, a wrong prefix, an over-long id.
  for (const std::string& bad : std::vector<std::string>{"", "forged", "rec-model-v1.0.0:0123456789abcdef", "r1.", "r1.abc", "r1.a$b.c",
                                "r2" + id.substr(2), std::string(kMaxRequestIdBytes + 1, 'x')})
    EXPECT_EQ(refusal(signer, bad), "malformed_request_id") << bad;
  // Each character of payload or tag changed: the signature no longer matches
  // (or the id no longer decodes).
  for (std::size_t i = 3; i < id.size(); ++i) {
    if (id[i] == '.') continue;
    std::string tampered = id;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    const auto why = refusal(signer, tampered);
    EXPECT_TRUE(why == "bad_signature" || why == "malformed_request_id") << i << " " << why;
  }
  // A well-formed id signed with another workspace's secret.
  const RequestSigner other("another secret of sixteen+ bytes");
  EXPECT_EQ(refusal(signer, other.issue("m", "u1", {"a"}, 1'700'000'000)), "bad_signature");
  // Age: accepted up to max_age, 410 after; far in the future is refused too.
  EXPECT_EQ(refusal(signer, id, 1'700'000'000 + 86400), "");
  EXPECT_EQ(refusal(signer, id, 1'700'000'000 + 86401), "expired");
  EXPECT_EQ(refusal(signer, id, 1'700'000'000 + 61, 60), "expired");
  try {
    signer.verify(id, 1'800'000'000, 86400);
    ADD_FAILURE() << "an expired id was accepted";
  } catch (const EventRefused& e) {
    EXPECT_EQ(e.status(), 410);
  }
  EXPECT_EQ(refusal(signer, id, 1'700'000'000 - 3600), "issued_in_future");
}

TEST(RequestIds, WorkspaceSecretIsCreatedOwnerOnlyAndRefusedWhenWider) {
  namespace fs = std::filesystem;
  const auto dir = hybridrec::testing::scratch_dir("request_id_secret") / "serving";
  const auto file = dir / "request_id_secret";
  const auto first = RequestSigner::for_workspace(dir);
  ASSERT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::mask, fs::perms::owner_read | fs::perms::owner_write);
  for (const auto& entry : fs::directory_iterator(dir)) EXPECT_EQ(entry.path().filename(), "request_id_secret");
  // The same secret on the next start: ids issued before a restart stay valid.
  const auto id = first.issue("m", "u", {"a"}, 1'700'000'000);
  EXPECT_EQ(refusal(RequestSigner::for_workspace(dir), id), "");
  // Group- or world-accessible: refused, naming the file and the fix.
  for (const auto extra : {fs::perms::group_read, fs::perms::others_read, fs::perms::others_write}) {
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | extra);
    try {
      RequestSigner::for_workspace(dir);
      ADD_FAILURE() << "a secret with wider permissions was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  }
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  std::ofstream(file) << "not hex\n";
  EXPECT_THROW(RequestSigner::for_workspace(dir), Error);
  // A symlink in its place (to a file an attacker chose) is refused too.
  fs::remove(file);
  std::ofstream(dir / "elsewhere") << "00112233445566778899aabbccddeeff\n";
  fs::permissions(dir / "elsewhere", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_symlink(dir / "elsewhere", file);
  EXPECT_THROW(RequestSigner::for_workspace(dir), Error);
}

TEST(RequestParsing, AnOverflowingNumberInABodyIsAClientError) {
  // 1e999 is valid JSON syntax but no double holds it: a 400, not a 500.
  for (const std::string body : {R"({"type": "click", "timestamp": 1e999})", "[1e999]", "-1e999"}) {
    try {
      parse_json_body(body);
      ADD_FAILURE() << body << " was accepted";
    } catch (const RequestError& e) {
      EXPECT_EQ(e.status(), 400) << body;
    }
  }
}
