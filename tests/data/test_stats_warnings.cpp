// What `stats` warns about from the data alone: an empty split part (with its
// reason), and a recency half-life that keeps under 10% of the training positives.
#include <gtest/gtest.h>

#include "data/positives.h"
#include "data/split.h"
#include "data/stats.h"

using namespace hybridrec;

namespace {

// n users with `per_user` interactions each, one a day from `start`.
Dataset daily(std::size_t users, std::size_t per_user, std::int64_t step_seconds) {
  Dataset d;
  std::int64_t t = 1'600'000'000;
  for (std::uint32_t u = 0; u < users; ++u) {
    d.users.intern("u" + std::to_string(u));
    for (std::uint32_t k = 0; k < per_user; ++k) {
      Interaction x;
      x.user = u;
      x.item = (u + k) % 5;
      x.timestamp = t;
      x.event = Event::Purchase;
      d.interactions.push_back(x);
      t += step_seconds;
    }
  }
  for (int i = 0; i < 5; ++i) d.items.intern("i" + std::to_string(i));
  return d;
}

bool any_contains(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(StatsWarnings, AnEmptyPartIsNamedWithItsReason) {
  SplitConfig c;
  c.strategy = "temporal";
  const Dataset same_time = daily(10, 3, 0);  // every row at one timestamp
  const Split s = make_split(same_time, c);
  ASSERT_TRUE(s.train.empty());
  const auto w = split_warnings(same_time, s);
  EXPECT_TRUE(any_contains(w, "the train part is empty: every interaction has the same timestamp")) << w.size();

  c.strategy = "user_random";
  const Dataset single = daily(30, 1, 3600);  // one interaction per user
  const auto w2 = split_warnings(single, make_split(single, c));
  EXPECT_TRUE(any_contains(w2, "the test part is empty: every user has fewer than 2 interactions"));

  const Dataset fine = daily(30, 10, 3600);
  EXPECT_TRUE(split_warnings(fine, make_split(fine, c)).empty());
}

TEST(StatsWarnings, AFixedHalfLifeKeepingUnderTenPercentIsWarnedAbout) {
  const Dataset years = daily(100, 10, 86400 * 7);  // a week apart: about 19 years
  SplitConfig c;
  const Split s = make_split(years, c);
  PositiveWeighting ten_days;
  ten_days.recency_half_life_days = 10;
  const auto r = recency_statistics(years, s, ten_days);
  EXPECT_GT(r["span_days"].get<double>(), 365.0 * 10);
  EXPECT_LT(r["configured"]["kept_fraction"].get<double>(), 0.10);
  ASSERT_EQ(r["warnings"].size(), 1u);
  EXPECT_NE(r["warnings"][0].get<std::string>().find("under 10%"), std::string::npos);
  EXPECT_EQ(r["auto_grid"].size(), std::size(kRecencySpanFractions));

  PositiveWeighting automatic;
  automatic.recency_auto = true;
  EXPECT_TRUE(recency_statistics(years, s, automatic)["warnings"].empty());  // auto chooses on validation
  PositiveWeighting year;
  year.recency_half_life_days = 365 * 8;
  EXPECT_TRUE(recency_statistics(years, s, year)["warnings"].empty());
}
