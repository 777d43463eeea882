#pragma once
// The "mf" family: matrix factorisation trained with BPR (Rendle et al., 2009),
// score(u, i) = p_u . q_i + b_i, as implicit's BayesianPersonalizedRanking. Its own
// SGD loop (model/family_mf.cpp), not the network engine. Settings: model.mf.*.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "model/abilities.h"
#include "model/recommender.h"

namespace hybridrec {

struct MfSettings {
  int factors = 64;
  double learning_rate = 0.05;   // plain SGD step
  double regularization = 0.01;  // L2 on every row a sample touches (factors and bias)
  int epochs = 50;               // one epoch = one (positive, sampled negative) triple per training positive
  std::optional<std::uint64_t> seed;  // null: the run's seed (training.seed)
  // Reads config["model"]["mf"]; throws ConfigError naming the key.
  static MfSettings from_config(const nlohmann::json& config);
};

class MfRecommender final : public Recommender, public ItemVectors {
 public:
  explicit MfRecommender(MfSettings settings) : settings_(std::move(settings)) {}
  std::string type() const override { return "mf"; }
  // SGD on BPR triples (u, i, j): j uniform among the items u has not seen in
  // training. Deterministic for a seed and thread count: each mini-batch's samples
  // go to thread user % threads (user rows are private to a thread), item
  // gradients are summed per thread and applied in thread order after the batch.
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return num_items_; }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;
  const ItemVectors* item_vectors() const override { return this; }
  void set_threads(int threads) override { threads_ = threads < 1 ? 1 : threads; }

  // ItemVectors: q_i; the candidate stage searches [q_i, b_i] with [p_u, 1].
  RowMatrix item_embeddings() const override;
  RowMatrix candidate_item_vectors() const override;
  std::vector<float> candidate_query(std::uint32_t user, std::span<const std::uint32_t> reference_items) const override;

  // Mean BPR loss (-log sigmoid(s_ui - s_uj), before each update) of every epoch of the last fit.
  const std::vector<double>& epoch_losses() const { return epoch_losses_; }
  const MfSettings& settings() const { return settings_; }

 private:
  void check_user(std::uint32_t user) const;
  float score(std::uint32_t user, std::uint32_t item) const;

  MfSettings settings_;
  int threads_ = 1;
  std::size_t num_users_ = 0, num_items_ = 0;
  // users_: [users, F] p_u (zero for users without training history, so they
  // score by item bias alone); items_: [items, F + 1] rows [q_i | b_i].
  std::vector<float> users_, items_;
  std::vector<double> epoch_losses_;
};

// An unfitted mf model; throws ConfigError naming the model.mf key for a bad setting.
std::unique_ptr<Recommender> make_mf(const nlohmann::json& config);
// The validation grid: overlays of model.mf.epochs and model.mf.regularization.
std::vector<nlohmann::json> mf_grid(const nlohmann::json& config, const Dataset& dataset);

}  // namespace hybridrec
