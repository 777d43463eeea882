// Train/validation/test splits: sizes, determinism, and the time rules each
// strategy promises.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "core/error.h"
#include "data/generator.h"
#include "data/split.h"

namespace hybridrec {
namespace {

const Dataset& shop() {
  static const Dataset d = [] {
    GeneratorConfig c;
    c.users = 500;
    c.items = 200;
    c.interactions = 40000;
    c.seed = 11;
    return generate_shop(c);
  }();
  return d;
}

SplitConfig strategy(const std::string& name) {
  SplitConfig c;
  c.strategy = name;
  return c;
}

// Every interaction lands in exactly one part.
void expect_partition(const Dataset& d, const Split& s) {
  std::vector<int> seen(d.interactions.size(), 0);
  for (const auto* part : {&s.train, &s.validation, &s.test})
    for (auto k : *part) ++seen[k];
  for (std::size_t k = 0; k < seen.size(); ++k) ASSERT_EQ(seen[k], 1) << "interaction " << k;
}

std::int64_t max_time(const Dataset& d, const std::vector<std::uint32_t>& idx) {
  std::int64_t t = std::numeric_limits<std::int64_t>::min();
  for (auto k : idx) t = std::max(t, d.interactions[k].timestamp);
  return t;
}
std::int64_t min_time(const Dataset& d, const std::vector<std::uint32_t>& idx) {
  std::int64_t t = std::numeric_limits<std::int64_t>::max();
  for (auto k : idx) t = std::min(t, d.interactions[k].timestamp);
  return t;
}

std::map<std::uint32_t, std::vector<std::uint32_t>> per_user(const Dataset& d, const std::vector<std::uint32_t>& idx) {
  std::map<std::uint32_t, std::vector<std::uint32_t>> m;
  for (auto k : idx) m[d.interactions[k].user].push_back(k);
  return m;
}

TEST(Split, TemporalSizesAndTimeOrder) {
  const Dataset& d = shop();
  Split s = make_split(d, strategy("temporal"));
  expect_partition(d, s);
  const double n = d.interactions.size();
  EXPECT_NEAR(s.train.size() / n, 0.70, 0.01);
  EXPECT_NEAR(s.validation.size() / n, 0.10, 0.01);
  EXPECT_NEAR(s.test.size() / n, 0.20, 0.01);
  // No later interaction in an earlier part; ties never straddle a boundary.
  EXPECT_LT(max_time(d, s.train), min_time(d, s.validation));
  EXPECT_LT(max_time(d, s.validation), min_time(d, s.test));
  EXPECT_EQ(s.train_end_time, max_time(d, s.train));
}

TEST(Split, TemporalTiesAtTheBoundaryGoToTheLaterPart) {
  Dataset d;
  d.users.intern("a");
  d.items.intern("x");
  // Ten interactions, timestamps 1,2,3,4,5,5,5,5,9,10: a 40% cut falls inside the 5s.
  for (std::int64_t t : {1, 2, 3, 4, 5, 5, 5, 5, 9, 10}) d.interactions.push_back({t, 0, 0});
  SplitConfig c = strategy("temporal");
  c.train_ratio = 0.5;
  c.val_ratio = 0.0;
  c.test_ratio = 0.5;
  Split s = make_split(d, c);
  EXPECT_EQ(s.train.size(), 4u);  // 1..4; all the 5s go to test
  EXPECT_EQ(s.test.size(), 6u);
  EXPECT_EQ(s.train_end_time, 4);
}

TEST(Split, UserTemporalKeepsEachUsersOldestInTrain) {
  const Dataset& d = shop();
  Split s = make_split(d, strategy("user_temporal"));
  expect_partition(d, s);
  auto train = per_user(d, s.train), val = per_user(d, s.validation), test = per_user(d, s.test);
  for (const auto& [u, rows] : train) {
    const std::int64_t last_train = max_time(d, rows);
    if (val.count(u)) {
      EXPECT_LE(last_train, min_time(d, val[u]));
    }
    if (test.count(u)) {
      EXPECT_LE(last_train, min_time(d, test[u]));
      if (val.count(u)) {
        EXPECT_LE(max_time(d, val[u]), min_time(d, test[u]));
      }
    }
    const std::size_t n = rows.size() + (val.count(u) ? val[u].size() : 0) + (test.count(u) ? test[u].size() : 0);
    if (n >= 20) {
      EXPECT_NEAR(rows.size() / double(n), 0.7, 0.06) << "user " << u;
    }
  }
  EXPECT_EQ(train.size(), d.num_users());  // nobody loses their whole history
}

TEST(Split, UserTemporalLastN) {
  const Dataset& d = shop();
  SplitConfig c = strategy("user_temporal");
  c.last_n = 2;
  c.val_ratio = 0;
  Split s = make_split(d, c);
  EXPECT_TRUE(s.validation.empty());
  for (const auto& [u, rows] : per_user(d, s.test)) EXPECT_EQ(rows.size(), 2u) << "user " << u;
}

TEST(Split, UserRandomRatioPerUserAndDeterminism) {
  const Dataset& d = shop();
  SplitConfig c = strategy("user_random");
  c.train_ratio = 0.75;
  c.val_ratio = 0.0;
  c.test_ratio = 0.25;
  c.seed = 5;
  Split s = make_split(d, c);
  expect_partition(d, s);
  EXPECT_TRUE(s.validation.empty());
  auto train = per_user(d, s.train), test = per_user(d, s.test);
  for (const auto& [u, rows] : train) {
    const std::size_t n = rows.size() + (test.count(u) ? test[u].size() : 0);
    const double expected_test = 0.25 * n;
    EXPECT_LE(std::abs((test.count(u) ? test[u].size() : 0.0) - expected_test), 1.0) << "user " << u;
    EXPECT_GE(rows.size(), 1u);
  }
  Split again = make_split(d, c);
  EXPECT_EQ(s.train, again.train);
  EXPECT_EQ(s.test, again.test);
  c.seed = 6;
  Split other = make_split(d, c);
  EXPECT_NE(s.test, other.test);
}

TEST(Split, UserRandomKeepsOneInTrainForTinyUsers) {
  Dataset d;
  d.users.intern("a");
  d.users.intern("b");
  d.items.intern("x");
  d.interactions = {{1, 0, 0}, {2, 0, 0}, {3, 1, 0}};
  SplitConfig c = strategy("user_random");
  c.train_ratio = 0.1;
  c.val_ratio = 0.0;
  c.test_ratio = 0.9;
  Split s = make_split(d, c);
  auto train = per_user(d, s.train);
  EXPECT_EQ(train[0].size(), 1u);  // 2 interactions: one kept in train, one to test
  EXPECT_EQ(train[1].size(), 1u);  // a single interaction stays in train
}

TEST(Split, LeaveOneOutPicksTheLatest) {
  const Dataset& d = shop();
  Split s = make_split(d, strategy("leave_one_out"));
  expect_partition(d, s);
  auto train = per_user(d, s.train), val = per_user(d, s.validation), test = per_user(d, s.test);
  for (const auto& [u, rows] : test) {
    ASSERT_EQ(rows.size(), 1u);
    const std::int64_t t_test = d.interactions[rows[0]].timestamp;
    EXPECT_GE(t_test, max_time(d, train[u]));
    if (val.count(u)) {
      ASSERT_EQ(val[u].size(), 1u);
      EXPECT_LE(d.interactions[val[u][0]].timestamp, t_test);
      EXPECT_GE(d.interactions[val[u][0]].timestamp, max_time(d, train[u]));
    }
  }
  EXPECT_EQ(test.size(), d.num_users());
}

TEST(Split, StatisticsCountColdStart) {
  Dataset d;
  for (const char* u : {"a", "b", "c"}) d.users.intern(u);
  for (const char* i : {"x", "y", "z"}) d.items.intern(i);
  // a and b interact early with x, y; c and item z appear only late.
  d.interactions = {{1, 0, 0}, {2, 1, 1}, {3, 0, 1}, {4, 1, 0}, {5, 2, 2}, {6, 0, 2}};
  SplitConfig c = strategy("temporal");
  c.train_ratio = 4;
  c.val_ratio = 0;
  c.test_ratio = 2;
  Split s = make_split(d, c);
  auto st = split_statistics(d, s);
  EXPECT_EQ(st["train"]["interactions"], 4);
  EXPECT_EQ(st["test"]["interactions"], 2);
  EXPECT_EQ(st["test"]["users"], 2);
  EXPECT_EQ(st["test"]["cold_start_users"], 1);  // c
  EXPECT_EQ(st["test"]["cold_start_items"], 1);  // z
  EXPECT_EQ(st["test"]["cold_start_item_interactions"], 2);
  EXPECT_EQ(st["test"]["time_min"], 5);
  EXPECT_EQ(st["train_end_time"], 4);
  EXPECT_EQ(st["validation"]["interactions"], 0);
}

TEST(Split, RejectsBadConfig) {
  EXPECT_THROW(make_split(shop(), strategy("random")), ConfigError);
  SplitConfig c;
  c.train_ratio = -1;
  EXPECT_THROW(make_split(shop(), c), ConfigError);
}

}  // namespace
}  // namespace hybridrec
