// Negative sampling: never a training item of the user, uniform over the rest,
// deterministic per seed, and fast.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "core/error.h"
#include "data/generator.h"
#include "data/negative_sampling.h"
#include "data/split.h"

namespace hybridrec {
namespace {

Dataset tiny() {
  Dataset d;
  for (const char* u : {"a", "b", "c"}) d.users.intern(u);
  for (int i = 0; i < 6; ++i) d.items.intern("i" + std::to_string(i));
  // a: items 5, 0, 2, 0 (duplicate); b: every item; c: nothing.
  d.interactions = {{1, 0, 5}, {2, 0, 0}, {3, 0, 2}, {4, 0, 0}};
  for (std::uint32_t i = 0; i < 6; ++i) d.interactions.push_back({10 + i, 1, i});
  return d;
}

std::vector<std::uint32_t> all_rows(const Dataset& d) {
  std::vector<std::uint32_t> rows(d.interactions.size());
  for (std::uint32_t k = 0; k < rows.size(); ++k) rows[k] = k;
  return rows;
}

TEST(NegativeSampling, UserTrainItemsAreSortedUniqueAndOnlyFromTrain) {
  Dataset d = tiny();
  std::vector<std::uint32_t> train{0, 1, 2, 3};  // only user a's rows
  auto items = user_train_items(d, train);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0], (std::vector<std::uint32_t>{0, 2, 5}));
  EXPECT_TRUE(items[1].empty());
  EXPECT_TRUE(items[2].empty());
}

TEST(NegativeSampling, NeverReturnsATrainingItemAndCoversTheRest) {
  Dataset d = tiny();
  auto rows = all_rows(d);
  NegativeSampler sampler(d, rows);
  Rng rng(3);
  std::map<std::uint32_t, int> counts;
  for (int k = 0; k < 30000; ++k) {
    auto item = sampler.sample(0, rng);
    ASSERT_FALSE(item == 0 || item == 2 || item == 5) << item;
    ASSERT_LT(item, 6u);
    ++counts[item];
  }
  ASSERT_EQ(counts.size(), 3u);  // 1, 3, 4: each about a third
  for (auto [item, n] : counts) EXPECT_NEAR(n / 30000.0, 1.0 / 3, 0.02) << item;
  EXPECT_TRUE(sampler.has_negatives(2));
  EXPECT_FALSE(sampler.has_negatives(1));
  EXPECT_THROW(sampler.sample(1, rng), Error);
  EXPECT_TRUE(sampler.is_positive(0, 5));
  EXPECT_FALSE(sampler.is_positive(0, 4));
}

TEST(NegativeSampling, GeneratedShopNeverHitsPositivesAndIsDeterministic) {
  GeneratorConfig c;
  c.users = 300;
  c.items = 120;
  c.interactions = 30000;
  Dataset d = generate_shop(c);
  Split s = make_split(d, SplitConfig{});
  NegativeSampler sampler(d, s.train);
  auto positives = user_train_items(d, s.train);
  std::vector<std::uint32_t> first, second;
  for (int round = 0; round < 2; ++round) {
    Rng rng = NegativeSampler::thread_rng(99, 0);
    auto& out = round == 0 ? first : second;
    for (std::uint32_t u = 0; u < d.num_users(); ++u) {
      if (!sampler.has_negatives(u)) continue;
      std::uint32_t buf[16];
      sampler.sample(u, 16, rng, buf);
      for (auto item : buf) {
        ASSERT_FALSE(std::binary_search(positives[u].begin(), positives[u].end(), item)) << u << " " << item;
        out.push_back(item);
      }
    }
  }
  EXPECT_EQ(first, second);
  Rng other = NegativeSampler::thread_rng(99, 1);
  std::vector<std::uint32_t> third;
  for (std::uint32_t u = 0; u < d.num_users() && third.size() < first.size(); ++u)
    if (sampler.has_negatives(u))
      for (int k = 0; k < 16; ++k) third.push_back(sampler.sample(u, other));
  EXPECT_NE(first, third);  // another thread's stream gives other negatives
}

TEST(NegativeSampling, MillionsPerSecond) {
  GeneratorConfig c;
  c.users = 2000;
  c.items = 500;
  c.interactions = 100000;
  Dataset d = generate_shop(c);
  auto rows = all_rows(d);
  NegativeSampler sampler(d, rows);
  Rng rng(1);
  const std::size_t n = 4'000'000;
  std::uint64_t checksum = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < n; ++k) checksum += sampler.sample(static_cast<std::uint32_t>(k % 2000), rng);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("negative sampling: %.1f M samples/s (checksum %llu)\n", n / s / 1e6,
              static_cast<unsigned long long>(checksum));
#ifdef NDEBUG
  EXPECT_GT(n / s, 2e6);  // generous floor for a loaded machine
#endif
}

}  // namespace
}  // namespace hybridrec
