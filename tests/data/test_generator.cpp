// The sample-shop generator: determinism, the event funnel, realistic shape, and
// planted signal that content features can recover.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/generator.h"
#include "data/readers.h"
#include "test_support.h"

namespace hybridrec {
namespace {

GeneratorConfig small_config(std::uint64_t seed = 7) {
  GeneratorConfig c;
  c.users = 400;
  c.items = 150;
  c.interactions = 30000;
  c.seed = seed;
  return c;
}

bool same_interactions(const Dataset& a, const Dataset& b) {
  if (a.interactions.size() != b.interactions.size()) return false;
  for (std::size_t k = 0; k < a.interactions.size(); ++k) {
    const auto &x = a.interactions[k], &y = b.interactions[k];
    if (x.timestamp != y.timestamp || x.user != y.user || x.item != y.item || x.event != y.event) return false;
    if (std::memcmp(&x.value, &y.value, sizeof(float)) != 0) return false;
  }
  return true;
}

const AttributeColumn& column(const AttributeTable& t, const char* name) {
  const AttributeColumn* c = t.find(name);
  if (!c) throw Error(std::string("missing column ") + name);
  return *c;
}

TEST(Generator, SameSeedGivesIdenticalDatasetAndBytes) {
  Dataset a = generate_shop(small_config());
  Dataset b = generate_shop(small_config());
  EXPECT_TRUE(same_interactions(a, b));
  EXPECT_EQ(column(a.item_attributes, "price").numbers, column(b.item_attributes, "price").numbers);
  auto da = testing::scratch_dir("a"), db = testing::scratch_dir("b");
  write_shop(a, da);
  write_shop(b, db);
  for (const char* f : {"interactions.csv", "users.csv", "items.csv"}) EXPECT_EQ(read_file(da / f), read_file(db / f)) << f;
}

TEST(Generator, ThreadCountDoesNotChangeTheData) {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  Dataset one = generate_shop(small_config());
  omp_set_num_threads(std::max(2, threads));
  Dataset many = generate_shop(small_config());
  omp_set_num_threads(threads);
  EXPECT_TRUE(same_interactions(one, many));
}

TEST(Generator, DifferentSeedGivesDifferentData) {
  Dataset a = generate_shop(small_config(1));
  Dataset b = generate_shop(small_config(2));
  EXPECT_FALSE(same_interactions(a, b));
  EXPECT_NE(column(a.item_attributes, "price").numbers, column(b.item_attributes, "price").numbers);
}

TEST(Generator, SizesIdsAndAttributes) {
  auto cfg = small_config();
  Dataset d = generate_shop(cfg);
  EXPECT_EQ(d.format, "generated");
  EXPECT_EQ(d.interactions.size(), cfg.interactions);
  ASSERT_EQ(d.num_users(), cfg.users);
  ASSERT_EQ(d.num_items(), cfg.items);
  EXPECT_EQ(d.users.id(123), "u000123");
  EXPECT_EQ(d.items.id(42), "i00042");
  EXPECT_EQ(column(d.user_attributes, "age_group").vocabulary.size(), 5u);
  EXPECT_EQ(column(d.user_attributes, "location").vocabulary.size(), 3u);
  EXPECT_EQ(column(d.user_attributes, "segment").vocabulary.size(), 3u);
  EXPECT_EQ(column(d.item_attributes, "category").vocabulary.size(), 12u);
  EXPECT_EQ(column(d.item_attributes, "brand").vocabulary.size(), 40u);
  for (const auto& c : d.user_attributes.columns) EXPECT_EQ(c.size(), cfg.users) << c.name;
  for (const auto& c : d.item_attributes.columns) EXPECT_EQ(c.size(), cfg.items) << c.name;
  for (float p : column(d.item_attributes, "price").numbers) EXPECT_GT(p, 0.0f);
  // Every user gets some history (a floor per user), sorted by time.
  std::vector<int> per_user(cfg.users, 0);
  for (const auto& x : d.interactions) ++per_user[x.user];
  EXPECT_GE(*std::min_element(per_user.begin(), per_user.end()), 3);
  EXPECT_TRUE(std::is_sorted(d.interactions.begin(), d.interactions.end(),
                             [](const Interaction& a, const Interaction& b) { return a.timestamp < b.timestamp; }));
}

TEST(Generator, FunnelOrderAndRatings) {
  auto cfg = small_config();
  Dataset d = generate_shop(cfg);
  // Earliest view / cart / purchase of each (user, item).
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::array<std::int64_t, 3>> first;
  const std::int64_t never = std::numeric_limits<std::int64_t>::max();
  std::array<std::size_t, kNumEvents> counts{};
  for (const auto& x : d.interactions) {
    auto& f = first.try_emplace({x.user, x.item}, std::array<std::int64_t, 3>{never, never, never}).first->second;
    if (x.event != Event::Rating) f[static_cast<int>(x.event)] = std::min(f[static_cast<int>(x.event)], x.timestamp);
    ++counts[static_cast<int>(x.event)];
    EXPECT_GE(x.timestamp, cfg.start_time);
    EXPECT_LT(x.timestamp, cfg.start_time + cfg.days * 86400LL);
  }
  for (const auto& x : d.interactions) {
    const auto& f = first.at({x.user, x.item});
    if (x.event == Event::Purchase) {
      EXPECT_LT(f[0], x.timestamp);  // viewed before
      EXPECT_LT(f[1], x.timestamp);  // carted before
    }
    if (x.event == Event::AddToCart) {
      EXPECT_LT(f[0], x.timestamp);
    }
    if (x.event == Event::Rating) {
      EXPECT_LT(f[2], x.timestamp);  // bought before rating
      EXPECT_TRUE(x.value >= 1 && x.value <= 5 && x.value == std::round(x.value)) << x.value;
    } else {
      EXPECT_TRUE(std::isnan(x.value));
    }
  }
  // A funnel: views > carts > purchases > ratings > 0.
  EXPECT_GT(counts[0], counts[1]);
  EXPECT_GT(counts[1], counts[2]);
  EXPECT_GT(counts[2], counts[3]);
  EXPECT_GT(counts[3], 0u);
}

TEST(Generator, LongTailAndWeeklySeasonality) {
  GeneratorConfig cfg = small_config();
  cfg.items = 400;
  cfg.interactions = 60000;
  Dataset d = generate_shop(cfg);
  std::vector<double> per_item(cfg.items, 0);
  std::array<double, 7> per_weekday{};
  for (const auto& x : d.interactions) {
    ++per_item[x.item];
    ++per_weekday[((x.timestamp - cfg.start_time) / 86400) % 7];  // index 0 = Monday
  }
  std::sort(per_item.rbegin(), per_item.rend());
  double top = 0;
  for (std::size_t k = 0; k < cfg.items / 10; ++k) top += per_item[k];
  EXPECT_GT(top / d.interactions.size(), 0.35) << "top 10% of items should take a large share";
  const double weekend = (per_weekday[5] + per_weekday[6]) / 2, weekday = (per_weekday[0] + per_weekday[1]) / 2;
  EXPECT_GT(weekend, 1.2 * weekday);
}

TEST(Generator, SomeItemsRiseAndFallOverTheYear) {
  GeneratorConfig cfg = small_config();
  cfg.interactions = 60000;
  Dataset d = generate_shop(cfg);
  std::vector<std::array<double, 12>> monthly(cfg.items);
  std::vector<double> total(cfg.items, 0);
  for (const auto& x : d.interactions) {
    int month = std::min<int>(11, static_cast<int>((x.timestamp - cfg.start_time) / (86400 * 31)));
    monthly[x.item][month] += 1;
    total[x.item] += 1;
  }
  int peaked = 0;
  for (std::size_t i = 0; i < cfg.items; ++i) {
    if (total[i] < 200) continue;
    double peak = *std::max_element(monthly[i].begin(), monthly[i].end());
    if (peak > 3.0 * total[i] / 12) ++peaked;  // one month with 3x its average share
  }
  EXPECT_GE(peaked, 3);
}

// Purchases by category differ strongly between age groups and segments: the
// attribute signal that the content branch has to find.
TEST(Generator, CategoryPreferenceDependsOnAttributes) {
  GeneratorConfig cfg = small_config();
  cfg.users = 1500;
  cfg.interactions = 80000;
  Dataset d = generate_shop(cfg);
  const auto& age = column(d.user_attributes, "age_group");
  const auto& segment = column(d.user_attributes, "segment");
  const auto& category = column(d.item_attributes, "category");
  auto max_total_variation = [&](const AttributeColumn& attr) {
    const std::size_t groups = attr.vocabulary.size(), cats = category.vocabulary.size();
    std::vector<std::vector<double>> share(groups, std::vector<double>(cats, 0));
    for (const auto& x : d.interactions)
      if (x.event == Event::Purchase) share[attr.codes[x.user]][category.codes[x.item]] += 1;
    for (auto& row : share) {
      double s = 0;
      for (double v : row) s += v;
      for (double& v : row) v /= std::max(s, 1.0);
    }
    double best = 0;
    for (std::size_t a = 0; a < groups; ++a)
      for (std::size_t b = a + 1; b < groups; ++b) {
        double tv = 0;
        for (std::size_t c = 0; c < cats; ++c) tv += std::abs(share[a][c] - share[b][c]) / 2;
        best = std::max(best, tv);
      }
    return best;
  };
  EXPECT_GT(max_total_variation(age), 0.25);
  EXPECT_GT(max_total_variation(segment), 0.15);
}

// A brand-new user can be served from attributes alone: ranking items by their
// popularity among training users with the same (age group, segment) finds the
// held-out users' purchases far more often than random, and clearly more often
// than global popularity (which ignores the attributes).
TEST(Generator, AttributeOnlyPredictorBeatsRandomOnHeldOutUsers) {
  GeneratorConfig cfg = small_config();
  cfg.users = 2000;
  cfg.items = 300;
  cfg.interactions = 100000;
  Dataset d = generate_shop(cfg);
  const auto& age = column(d.user_attributes, "age_group");
  const auto& segment = column(d.user_attributes, "segment");
  auto group = [&](std::uint32_t u) { return age.codes[u] * 3 + segment.codes[u]; };
  auto held_out = [](std::uint32_t u) { return u % 4 == 0; };
  std::vector<std::vector<double>> group_pop(15, std::vector<double>(cfg.items, 0));
  std::vector<double> global_pop(cfg.items, 0);
  for (const auto& x : d.interactions)
    if (!held_out(x.user) && x.event == Event::Purchase) {
      group_pop[group(x.user)][x.item] += 1;
      global_pop[x.item] += 1;
    }
  auto top10 = [&](const std::vector<double>& score) {
    std::vector<std::uint32_t> idx(score.size());
    for (std::uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::partial_sort(idx.begin(), idx.begin() + 10, idx.end(),
                      [&](auto a, auto b) { return score[a] != score[b] ? score[a] > score[b] : a < b; });
    return std::set<std::uint32_t>(idx.begin(), idx.begin() + 10);
  };
  std::vector<std::set<std::uint32_t>> group_top(15);
  for (int g = 0; g < 15; ++g) group_top[g] = top10(group_pop[g]);
  const auto global_top = top10(global_pop);
  double hits_attr = 0, hits_pop = 0, purchases = 0;
  for (const auto& x : d.interactions)
    if (held_out(x.user) && x.event == Event::Purchase) {
      purchases += 1;
      hits_attr += group_top[group(x.user)].count(x.item);
      hits_pop += global_top.count(x.item);
    }
  ASSERT_GT(purchases, 1000);
  const double random_rate = 10.0 / cfg.items;
  const double attr_rate = hits_attr / purchases, pop_rate = hits_pop / purchases;
  std::printf("hit@10 of held-out purchases: attributes %.3f, global popularity %.3f, random %.3f\n", attr_rate,
              pop_rate, random_rate);
  EXPECT_GT(attr_rate, 4 * random_rate);
  EXPECT_GT(attr_rate, 1.2 * pop_rate);
}

TEST(Generator, WrittenFolderLoadsBackThroughTheCanonicalReader) {
  auto cfg = small_config();
  cfg.interactions = 5000;
  Dataset d = generate_shop(cfg);
  auto dir = testing::scratch_dir("shop");
  write_shop(d, dir);
  Dataset back = load_dataset(dir);
  EXPECT_EQ(back.interactions.size(), d.interactions.size());
  EXPECT_EQ(back.num_users(), d.num_users());
  EXPECT_EQ(back.num_items(), d.num_items());
  ASSERT_NE(back.item_attributes.find("price"), nullptr);
  ASSERT_NE(back.user_attributes.find("segment"), nullptr);
  std::size_t ratings = 0, back_ratings = 0;
  for (const auto& x : d.interactions) ratings += x.event == Event::Rating;
  for (const auto& x : back.interactions) back_ratings += x.event == Event::Rating;
  EXPECT_EQ(ratings, back_ratings);
}

TEST(Generator, RejectsBadConfig) {
  GeneratorConfig c;
  c.users = 0;
  EXPECT_THROW(generate_shop(c), ConfigError);
  c = GeneratorConfig{};
  c.categories = 0;
  EXPECT_THROW(generate_shop(c), ConfigError);
}

}  // namespace
}  // namespace hybridrec
