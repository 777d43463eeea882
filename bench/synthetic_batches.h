#pragma once
// Synthetic training input of MovieLens-1M size shared by the training benchmarks
// (bench_train, bench_dist): a shuffled sample stream and hybrid feature tables.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "data/features.h"

namespace hybridrec {

constexpr std::size_t kUsers = 6040, kItems = 3706;

// Items drawn with a Zipf-like popularity (as in MovieLens), users uniformly:
// positives come from the popular head, negatives uniformly, so the rows an Adam
// step touches look like real training.
struct SampleStream {
  std::vector<std::uint32_t> users, items;
  std::vector<float> labels;
};

inline SampleStream make_samples(std::size_t batches, std::size_t batch_size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> weight(kItems);
  for (std::size_t i = 0; i < kItems; ++i) weight[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.8);
  std::discrete_distribution<std::uint32_t> popular(weight.begin(), weight.end());
  std::uniform_int_distribution<std::uint32_t> any_user(0, kUsers - 1), any_item(0, kItems - 1);
  SampleStream s;
  const std::size_t n = batches * batch_size;
  for (std::size_t k = 0; k < n; ++k) {
    const bool positive = k % 5 == 0;  // 1 positive : 4 negatives
    s.users.push_back(any_user(rng));
    s.items.push_back(positive ? popular(rng) : any_item(rng));
    s.labels.push_back(positive ? 1.0f : 0.0f);
  }
  // Shuffle as a data loader would (positives and negatives interleaved randomly).
  for (std::size_t k = n; k-- > 1;) {
    std::uniform_int_distribution<std::size_t> pick(0, k);
    const std::size_t j = pick(rng);
    std::swap(s.users[k], s.users[j]);
    std::swap(s.items[k], s.items[j]);
    std::swap(s.labels[k], s.labels[j]);
  }
  return s;
}

// 11 dense + 1 categorical user features, 6 dense + 2 categorical item features:
// the sizes the feature builder produces for the specification's attributes.
inline FeatureSet make_features(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  FeatureSet f;
  f.users.dense = RowMatrix::NullaryExpr(kUsers, 11, [&]() { return unit(rng); });
  f.users.categorical_names = {"favourite_category"};
  f.users.categorical_cardinality = {19};
  f.users.categorical = {std::vector<std::int32_t>(kUsers)};
  for (auto& c : f.users.categorical[0]) c = static_cast<std::int32_t>(rng() % 19);
  f.items.dense = RowMatrix::NullaryExpr(kItems, 6, [&]() { return unit(rng); });
  f.items.categorical_names = {"category", "brand"};
  f.items.categorical_cardinality = {19, 200};
  f.items.categorical = {std::vector<std::int32_t>(kItems), std::vector<std::int32_t>(kItems)};
  for (auto& c : f.items.categorical[0]) c = static_cast<std::int32_t>(rng() % 19);
  for (auto& c : f.items.categorical[1]) c = static_cast<std::int32_t>(rng() % 200);
  return f;
}


}  // namespace hybridrec
