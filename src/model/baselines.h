#pragma once
// The specification's comparison and fallback models: popularity, category and
// random. They implement Recommender like the neural models, so the evaluator,
// the CLI and the server treat them the same way.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/split.h"
#include "model/recommender.h"

namespace hybridrec {

// How much one training event of each kind adds to an item's popularity.
// Read from config["baselines"]["popularity_weights"] {view, add_to_cart, purchase, rating};
// absent keys keep these defaults. On rating-only data every weight is the same
// event kind, so popularity ranks exactly like interaction counts.
struct PopularityWeights {
  float view = 1.0f, add_to_cart = 2.0f, purchase = 4.0f, rating = 3.0f;

  float of(Event event) const;
  // Throws ConfigError for a negative or non-numeric weight or an unknown key.
  static PopularityWeights from_config(const nlohmann::json& config);
};

// Weighted event count of every item over split.train (size dataset.num_items()).
// With half_life_days > 0 an event counts 2^(-age / half-life), its age taken
// before split.train_end_time: the recent popularity that a model trained with
// data.recency_half_life_days falls back to (the popularity baseline counts all).
// With `shards` (a collective), summed over every shard.
std::vector<double> weighted_item_popularity(const Dataset& dataset, const Split& split,
                                             const PopularityWeights& weights, double half_life_days = 0.0,
                                             ShardCollectives* shards = nullptr);

// The category set of every item, used by the category baseline and by the
// diversity metric: the item attribute "category", else "genre" (every genre of a
// multi-valued column). An item with no known category has an empty set. Returns
// an empty vector when the dataset has neither attribute.
std::vector<std::vector<std::int32_t>> item_category_sets(const Dataset& dataset);

// Score = weighted popularity / the largest one, so scores lie in [0, 1] and can
// be compared with 0/1 labels by the prediction metrics. Same list for every user.
class PopularityBaseline : public Recommender {
 public:
  std::string type() const override { return "popularity"; }
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return scores_.size(); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  // Popularity needs no history, so new users get the same list as everyone.
  bool serves_cold_users() const override { return true; }
  // model.safetensors: "item_scores" [items].
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;

  const std::vector<float>& item_scores() const { return scores_; }
  // A popularity ranking from given per-item weights (a model's own, e.g.
  // recency-weighted, popularity), scaled to [0, 1] as fit() scales its counts.
  static PopularityBaseline from_weights(std::span<const float> weights);

 private:
  std::vector<float> scores_;
};

// Popular items from the user's favourite categories: score(u, i) =
// popularity(i) * (affinity(u, i) + 0.001), affinity = sum of the user's category
// shares over the item's categories (shares from the user's weighted training
// events, a multi-genre item splitting its event evenly). The small constant keeps
// items outside the user's categories ordered by popularity behind the rest.
// Users without history, and datasets without categories, get plain popularity.
class CategoryBaseline : public Recommender {
 public:
  std::string type() const override { return "category"; }
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return popularity_.size(); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  bool serves_cold_users() const override { return true; }
  // model.safetensors: "item_popularity" [items], the item categories as CSR
  // ("item_category_counts" [items], "item_categories" [sum]), and the per-user
  // shares as CSR ("user_share_counts" [users], "user_share_categories",
  // "user_share_values" [sum]). Counts rather than offsets: floats hold them exactly.
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;

  // The user's share of each category it touched in training (empty for cold users).
  std::vector<std::pair<std::int32_t, float>> user_shares(std::uint32_t user) const;

 private:
  float affinity(std::uint32_t user, std::uint32_t item, const std::vector<float>& dense_shares) const;
  void load_shares(std::uint32_t user, std::vector<float>& dense_shares) const;
  void clear_shares(std::uint32_t user, std::vector<float>& dense_shares) const;
  bool has_history(std::uint32_t user) const;

  std::vector<float> popularity_;                       // normalised to [0, 1]
  std::vector<std::vector<std::int32_t>> categories_;   // per item
  std::size_t num_categories_ = 0;
  // Sparse per-user shares (CSR): a dense users x categories table would not fit
  // catalogues with thousands of categories.
  std::vector<std::size_t> share_offsets_;
  std::vector<std::int32_t> share_category_;
  std::vector<float> share_value_;
};

// Control baseline: a uniform score in [0, 1) that depends only on (seed, user,
// item), so score_all and score_pairs agree and results do not depend on threads.
class RandomBaseline : public Recommender {
 public:
  explicit RandomBaseline(std::uint64_t seed = 42) : seed_(seed) {}
  std::string type() const override { return "random"; }
  // Takes the seed from context.seed and the catalogue size from the dataset.
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return num_items_; }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  bool serves_cold_users() const override { return true; }
  // No tensors: the seed and the catalogue size are the model.safetensors metadata.
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;

 private:
  float score(std::uint32_t user, std::uint32_t item) const;
  std::uint64_t seed_;
  std::size_t num_items_ = 0;
};

}  // namespace hybridrec
