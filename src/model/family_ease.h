#pragma once
// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"):
// B = argmin ||X - XB||^2 + lambda ||B||^2 subject to diag(B) = 0, in closed form
// P = (X^T X + lambda I)^-1, B = -P / diag(P) column-wise, diag(B) = 0; a user's
// scores are X_u B. The dense item x item matrices limit the catalogue: fit
// refuses one that would not fit in model.ease.max_memory_gb before allocating.
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "model/abilities.h"
#include "model/interaction_matrix.h"
#include "model/recommender.h"

namespace hybridrec {

class EaseRecommender : public Recommender, public ItemSimilarity, public HistoryFoldIn {
 public:
  // Reads model.ease.* (ConfigError naming the key for a bad value).
  explicit EaseRecommender(const nlohmann::json& config);

  std::string type() const override { return "ease"; }
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return static_cast<std::size_t>(weights_.rows()); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;
  const ItemSimilarity* item_similarity() const override { return this; }
  const HistoryFoldIn* history_fold_in() const override { return this; }
  void set_threads(int threads) override { threads_ = threads < 1 ? 1 : threads; }

  // (B[a][b] + B[b][a]) / 2: B itself is not symmetric.
  float item_similarity(std::uint32_t a, std::uint32_t b) const override;

  // Scores every item for a history row (1 x num_items, any user, also one unseen
  // in training: fold-in, issue #19) into out[num_items()].
  void score_history(const SparseRowMatrix& history_row, float* out) const;
  // Fold-in: score_history of the training row merged with the online entries.
  void score_folded_in(std::optional<std::uint32_t> trained_user, std::span<const HistoryEntry> online,
                       float* out_all_items) const override;

  const RowMatrix& weights() const { return weights_; }  // B
  double lambda() const { return lambda_; }                   // the lambda of the last fit
  // Bytes the fit of a catalogue of `num_items` needs at its peak, from the count
  // alone (model.ease.precision: the inverse in float or double).
  static double fit_bytes(std::size_t num_items, bool single_precision);

 private:
  void check_memory(std::size_t num_items) const;

  // Settings.
  double lambda_setting_ = -1.0;  // < 0: auto (lambda_relative times the mean diagonal)
  double lambda_relative_ = 1.0;
  double max_memory_gb_ = 0.0;    // 0: half the physical memory
  bool single_precision_ = true;  // model.ease.precision: float (default) or double
  int threads_ = 1;

  // Fitted state.
  double lambda_ = 0.0;
  RowMatrix weights_;   // B, num_items x num_items, zero diagonal
  SparseRowMatrix history_;  // X, the training rows scores come from
};

}  // namespace hybridrec
