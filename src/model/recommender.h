#pragma once
// The one interface every recommender implements: the neural models (ncf, hybrid)
// and the baselines (popularity, category, random). Evaluation, the CLI and the
// server only ever talk to this.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/features.h"
#include "data/split.h"

namespace hybridrec {

struct ScoredItem {
  std::uint32_t item = 0;
  float score = 0.0f;
};

// Everything fit() may look at. Only split.train interactions are training data;
// validation is there for early stopping and must not be trained on.
struct TrainingContext {
  const Dataset* dataset = nullptr;
  const Split* split = nullptr;
  const FeatureSet* features = nullptr;  // null for models without content features
  nlohmann::json config;                 // the merged configuration (configs/default.yaml layout)
  std::uint64_t seed = 42;
  int threads = 2;
  // Set when the dataset is one user shard of a data-parallel job: fit() then
  // combines item statistics over every shard (a collective: every shard fits).
  ShardCollectives* shards = nullptr;
};

class Recommender {
 public:
  virtual ~Recommender() = default;
  virtual std::string type() const = 0;  // "hybrid", "ncf", "popularity", "category", "random"
  virtual void fit(const TrainingContext& context) = 0;

  virtual std::size_t num_items() const = 0;
  // Scores every catalog item for each user; out is users.size() x num_items(), row-major.
  // Higher is better. Users without training history must get sensible scores
  // (content branch or fallback), never garbage from an untrained embedding row.
  virtual void score_all(std::span<const std::uint32_t> users, float* out) const = 0;
  // Scores (users[i], items[i]) pairs into out[i].
  virtual void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                           float* out) const = 0;
  // True when users unseen in training are scored from their features (hybrid);
  // false means evaluation and serving send such users to the popularity fallback.
  virtual bool serves_cold_users() const { return false; }
};

// Top-k items for one user from a score row, skipping `exclude` (sorted ascending).
// Ties break by lower item index so results are deterministic.
std::vector<ScoredItem> top_k(std::span<const float> scores, std::size_t k,
                              std::span<const std::uint32_t> exclude_sorted = {});

}  // namespace hybridrec
