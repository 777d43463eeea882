// Sharded loading without MPI: two threads play two ranks through a
// ShardCollectives backed by a barrier, so the data layer's sharded paths (load,
// temporal time cut, feature statistics, popularity, evaluation) are checked in
// seconds against a plain load of the same shop: the same numbers, not "close".
#include <gtest/gtest.h>

#include <barrier>
#include <cstring>
#include <thread>

#include "data/features.h"
#include "generated_shop.h"
#include "data/sharded_dataset.h"
#include "data/split.h"
#include "eval/evaluator.h"
#include "model/baselines.h"
#include "test_support.h"

namespace hybridrec {
namespace {

// Shared by the threads of one group: each posts its bytes, everyone reads all.
struct ThreadGroup {
  explicit ThreadGroup(int n) : size(n), sync(n), slots(static_cast<std::size_t>(n)) {}
  int size;
  std::barrier<> sync;
  std::vector<std::vector<char>> slots;
};

class ThreadShards final : public ShardCollectives {
 public:
  ThreadShards(ThreadGroup& group, int me) : group_(group), me_(me) {}
  int shard() const override { return me_; }
  int shards() const override { return group_.size; }
  std::vector<char> gather_all(const std::vector<char>& mine) override {
    group_.slots[static_cast<std::size_t>(me_)] = mine;
    group_.sync.arrive_and_wait();
    std::vector<char> all;
    for (const auto& s : group_.slots) all.insert(all.end(), s.begin(), s.end());
    group_.sync.arrive_and_wait();  // nobody overwrites a slot before everyone read it
    return all;
  }
  void sum(double* d, std::size_t n) override { combine(d, n, [](double a, double b) { return a + b; }); }
  void sum(std::uint64_t* d, std::size_t n) override {
    combine(d, n, [](std::uint64_t a, std::uint64_t b) { return a + b; });
  }
  void max(std::int64_t* d, std::size_t n) override {
    combine(d, n, [](std::int64_t a, std::int64_t b) { return std::max(a, b); });
  }
  void min(std::int64_t* d, std::size_t n) override {
    combine(d, n, [](std::int64_t a, std::int64_t b) { return std::min(a, b); });
  }
  using ShardCollectives::max;
  using ShardCollectives::min;
  using ShardCollectives::sum;

 private:
  // Element-wise over the shards in shard order, as MPI_Allreduce does for 2 ranks.
  template <class T, class Op>
  void combine(T* d, std::size_t n, Op op) {
    std::vector<char> bytes(n * sizeof(T));
    std::memcpy(bytes.data(), d, bytes.size());
    const std::vector<char> all = gather_all(bytes);
    std::vector<T> values(all.size() / sizeof(T));
    std::memcpy(values.data(), all.data(), all.size());
    for (std::size_t i = 0; i < n; ++i) {
      T acc = values[i];
      for (int r = 1; r < group_.size; ++r) acc = op(acc, values[static_cast<std::size_t>(r) * n + i]);
      d[i] = acc;
    }
  }
  ThreadGroup& group_;
  int me_;
};

// What one rank (or the plain process, shards == nullptr) computes.
struct View {
  Dataset dataset;
  Split split;
  ShardLoadReport report;
  FeatureSet features;
  nlohmann::json feature_stats, split_stats, evaluation;
  std::vector<double> popularity;
};

View compute(const std::filesystem::path& shop, ShardCollectives* shards) {
  View v;
  v.dataset = shards ? load_dataset_shard(shop, {}, *shards, &v.report) : load_dataset(shop);
  v.split = make_split(v.dataset, SplitConfig{}, shards);
  const FeatureBuilder builder = FeatureBuilder::fit(v.dataset, v.split, {}, shards);
  v.feature_stats = builder.to_json();
  v.features = builder.transform(v.dataset, v.split, shards);
  v.split_stats = split_statistics(v.dataset, v.split, shards);
  v.popularity = weighted_item_popularity(v.dataset, v.split, PopularityWeights{}, 0.0, shards);
  TrainingContext ctx{&v.dataset, &v.split, &v.features, nlohmann::json::object(), 42, 1, shards};
  PopularityBaseline popularity;
  popularity.fit(ctx);
  CategoryBaseline category;  // per-user shares: each rank knows only its users'
  category.fit(ctx);
  EvalOptions options;
  options.threads = 1;
  options.shards = shards;
  v.evaluation = evaluate(category, v.dataset, v.split, options, &popularity);
  v.evaluation.erase("elapsed_seconds");
  return v;
}

std::vector<View> compute_sharded(const std::filesystem::path& shop, int ranks) {
  ThreadGroup group(ranks);
  std::vector<View> views(static_cast<std::size_t>(ranks));
  std::vector<std::string> errors(static_cast<std::size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      ThreadShards shards(group, r);
      try {
        views[static_cast<std::size_t>(r)] = compute(shop, &shards);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(r)] = e.what();  // (a peer would then wait: keep the test data valid)
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  return views;
}

std::filesystem::path make_shop() {
  auto dir = testing::scratch_dir("shop");
  hybridrec::testing::write_generated_shop(dir, 300, 90, 9000, 11);
  return dir;
}

TEST(ShardedLoading, TwoShardsHoldHalfTheRowsAndReproduceEveryGlobalStatistic) {
  const auto shop = make_shop();
  const View plain = compute(shop, nullptr);
  const std::vector<View> shards = compute_sharded(shop, 2);
  ASSERT_EQ(shards.size(), 2u);

  std::size_t held = 0, train = 0, validation = 0, test = 0;
  for (const View& s : shards) {
    SCOPED_TRACE("shard");
    // No shard holds everything; together they hold every row exactly once.
    EXPECT_LT(s.dataset.interactions.size(), plain.dataset.interactions.size() * 6 / 10);
    EXPECT_GT(s.dataset.interactions.size(), plain.dataset.interactions.size() * 4 / 10);
    held += s.dataset.interactions.size();
    EXPECT_EQ(s.report.total, plain.dataset.interactions.size());
    EXPECT_EQ(s.report.held_per_shard.size(), 2u);
    // The same dense ids as a plain load (they index the replicated tables).
    EXPECT_EQ(s.dataset.users.ids(), plain.dataset.users.ids());
    EXPECT_EQ(s.dataset.items.ids(), plain.dataset.items.ids());
    // Each user's whole history on one shard.
    for (const auto& x : s.dataset.interactions)
      EXPECT_EQ(user_shard_of(s.dataset.users.id(x.user), 2), &s - shards.data());
    // The global time cut, found without gathering timestamps.
    EXPECT_EQ(s.split.train_end_time, plain.split.train_end_time);
    train += s.split.train.size(), validation += s.split.validation.size(), test += s.split.test.size();
    // Statistics over every shard equal those of the plain load.
    EXPECT_EQ(s.feature_stats, plain.feature_stats);
    EXPECT_EQ(s.split_stats, plain.split_stats);
    EXPECT_EQ(s.popularity, plain.popularity);
    ASSERT_EQ(s.features.users.dense.rows(), plain.features.users.dense.rows());
    EXPECT_TRUE(s.features.users.dense == plain.features.users.dense) << "user features differ";
    EXPECT_TRUE(s.features.items.dense == plain.features.items.dense) << "item features differ";
    EXPECT_EQ(s.features.users.categorical, plain.features.users.categorical);
    // Every rank ranks its own users; the gathered per-user results aggregate to the
    // plain evaluation (ranking, segments, business, fairness, prediction).
    // RMSE/MAE come from per-shard sums of squares: equal up to rounding.
    nlohmann::json mine = s.evaluation, whole = plain.evaluation;
    for (const char* key : {"rmse", "mae"}) {
      EXPECT_NEAR(mine["prediction"][key].get<double>(), whole["prediction"][key].get<double>(), 1e-12);
      mine["prediction"].erase(key), whole["prediction"].erase(key);
    }
    EXPECT_EQ(mine.dump(2), whole.dump(2));
  }
  EXPECT_EQ(held, plain.dataset.interactions.size());
  EXPECT_EQ(train, plain.split.train.size());
  EXPECT_EQ(validation, plain.split.validation.size());
  EXPECT_EQ(test, plain.split.test.size());
}

TEST(ShardedLoading, PerUserSplitsAreLocalAndMatchThePlainSplit) {
  const auto shop = make_shop();
  SplitConfig config;
  config.strategy = "leave_one_out";
  const Dataset plain = load_dataset(shop);
  const Split whole = make_split(plain, config);
  ThreadGroup group(2);
  std::size_t parts[2][3] = {};
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      ThreadShards shards(group, r);
      const Dataset ds = load_dataset_shard(shop, {}, shards);
      const Split s = make_split(ds, config, &shards);
      parts[r][0] = s.train.size(), parts[r][1] = s.validation.size(), parts[r][2] = s.test.size();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(parts[0][0] + parts[1][0], whole.train.size());
  EXPECT_EQ(parts[0][1] + parts[1][1], whole.validation.size());
  EXPECT_EQ(parts[0][2] + parts[1][2], whole.test.size());
}

}  // namespace
}  // namespace hybridrec
