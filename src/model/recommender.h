#pragma once
// The one interface every model family implements (docs/design/model-interface.md):
// fit, score_all, score_pairs, save, load, like implicit's RecommenderBase.
// Optional abilities (content path, item vectors, item similarity, SGD training
// through the trainer) are small interfaces of their own (model/abilities.h) that
// evaluation and serving ask for. Families are made by make_model
// (model/model_families.h) and nowhere else.
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

// The one order of ranked lists (top_k, serving's lists): higher score first, ties
// by lower item index, so every list is deterministic. A function object, so the
// sorts that take it inline the comparison.
inline constexpr auto ranks_before = [](const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
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

// What load() may need besides the folder itself. Loading never needs the
// training data: a family saves every fitted state it scores with.
struct LoadContext {
  const nlohmann::json* config = nullptr;  // the folder's config.json (merged configuration)
  std::size_t num_users = 0, num_items = 0;
  const FeatureSet* features = nullptr;    // the bundle's feature tables (hybrid); may be null
  // Each user's training items (serving.safetensors): which users and items had
  // training data, for families that route the others to learned "unknown" rows.
  const std::vector<std::vector<std::uint32_t>>* user_items = nullptr;
};

class ContentScoring;
class ItemVectors;
class ItemSimilarity;
class HistoryFoldIn;
class FeatureFoldIn;
class SgdTrainable;

class Recommender {
 public:
  virtual ~Recommender() = default;
  virtual std::string type() const = 0;  // the family name, as make_model takes it
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
  // Scores `items` for one user; the same values score_pairs gives. Families with
  // a cheaper per-user path (the network's split first layer) override it.
  virtual void score_items(std::uint32_t user, std::span<const std::uint32_t> items, float* out) const;

  // Writes the fitted state into `dir` (model.safetensors and any family files,
  // each atomically); load() restores it from the same folder without the
  // training data. Errors name the file.
  virtual void save(const std::filesystem::path& dir) const = 0;
  virtual void load(const std::filesystem::path& dir, const LoadContext& context) = 0;

  // Optional abilities (model/abilities.h); null when the family has none.
  virtual const ContentScoring* content_scoring() const { return nullptr; }
  virtual const ItemVectors* item_vectors() const { return nullptr; }
  virtual const ItemSimilarity* item_similarity() const { return nullptr; }
  virtual const HistoryFoldIn* history_fold_in() const { return nullptr; }
  virtual const FeatureFoldIn* feature_fold_in() const { return nullptr; }
  virtual SgdTrainable* sgd_trainable() { return nullptr; }
  // Threads for scoring (serving sets 1: request threads are the parallelism).
  virtual void set_threads(int threads) {}
};

// Top-k items for one user from a score row, skipping `exclude` (sorted ascending).
// Ties break by lower item index so results are deterministic.
std::vector<ScoredItem> top_k(std::span<const float> scores, std::size_t k,
                              std::span<const std::uint32_t> exclude_sorted = {});

}  // namespace hybridrec
