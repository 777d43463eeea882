#pragma once
// Implicit ALS (Hu, Koren, Volinsky 2008) in the form of Rendle et al. 2022,
// "Revisiting the Performance of iALS on Item Recommendation Benchmarks":
//   L = sum_{(u,i) observed} c_ui (w_u.h_i - 1)^2 + alpha0 sum_{all u,i} (w_u.h_i)^2
//       + lambda sum_u (n_u + alpha0 |I|) |w_u|^2 + lambda sum_i (n_i + alpha0 |U|) |h_i|^2
// with confidence c_ui = 1 + alpha * weight_ui (the positive's event weight),
// alpha0 the unobserved weight (model.ials.unobserved_weight) and the
// regularisation scaled by frequency. Each half-step solves every row's normal
// equations (alpha0 Y^T Y + sum c y y^T + lambda_r I) x = sum c y with Y^T Y
// computed once (the Gram trick), by a few warm-started conjugate-gradient steps
// (implicit's cg solver) or exactly by Cholesky.
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "model/abilities.h"
#include "model/interaction_matrix.h"
#include "model/recommender.h"

namespace hybridrec {

class IalsRecommender : public Recommender, public ItemVectors, public HistoryFoldIn {
 public:
  explicit IalsRecommender(const nlohmann::json& config);  // reads model.ials.*

  std::string type() const override { return "ials"; }
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return static_cast<std::size_t>(item_factors_.rows()); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;
  const ItemVectors* item_vectors() const override { return this; }
  const HistoryFoldIn* history_fold_in() const override { return this; }
  void set_threads(int threads) override { threads_ = threads < 1 ? 1 : threads; }

  RowMatrix item_embeddings() const override { return item_factors_; }
  RowMatrix candidate_item_vectors() const override { return item_factors_; }
  // The user's factor (zeros for a user without training history).
  std::vector<float> candidate_query(std::uint32_t user, std::span<const std::uint32_t> reference_items) const override;

  // The ALS user step for one history row (1 x num_items, values = event weights)
  // with the item factors fixed, solved exactly: a factor for a user unseen in
  // training (fold-in, issue #19). An empty history gives zeros.
  Eigen::VectorXf solve_user(const SparseRowMatrix& history_row) const;
  // Fold-in: solve_user of the training row merged with the online entries, then
  // the factor's dot product with every item factor (as score_all).
  void score_folded_in(std::optional<std::uint32_t> trained_user, std::span<const HistoryEntry> online,
                       float* out_all_items) const override;

  // The objective L above on the training matrix of the last fit.
  double loss() const;
  // With tracking on, fit records L after every epoch (costs about a quarter epoch each).
  void track_loss(bool on) { track_loss_ = on; }
  const std::vector<double>& epoch_losses() const { return epoch_losses_; }
  // fit = initialize + `iterations` x run_epoch. Apart for benchmarks that time
  // single epochs: initialize builds the training matrix and draws the start.
  void initialize(const TrainingContext& context);
  // One epoch: the user step, then the item step.
  void run_epoch();

  const RowMatrix& user_factors() const { return user_factors_; }
  const RowMatrix& item_factors() const { return item_factors_; }

 private:
  // One half-step: every row of `target` solved against the fixed `fixed` factors,
  // observations[r] the row's (column, weight) entries.
  void solve_rows(const SparseRowMatrix& observations, const RowMatrix& fixed, RowMatrix& target) const;
  // The row's exact solution given the Gram matrix alpha0 * fixed^T fixed.
  void solve_row_exact(const SparseRowMatrix& observations, std::int64_t row, const RowMatrix& fixed,
                       const Eigen::MatrixXf& gram, float* x) const;
  void prepare_fold_in();  // history_ from by_user_, item_gram_ from item_factors_
  void solve_row_cg(const SparseRowMatrix& observations, std::int64_t row, const RowMatrix& fixed,
                    const Eigen::MatrixXf& gram, float* x) const;
  Eigen::MatrixXf scaled_gram(const RowMatrix& factors) const;  // alpha0 * F^T F

  // Settings.
  int factors_ = 64;
  double regularization_ = 0.01;
  double unobserved_weight_ = 0.1;
  double alpha_ = 1.0;
  int iterations_ = 15;
  int cg_steps_ = 3;
  bool use_cholesky_ = false;
  double init_scale_ = 0.1;
  std::int64_t seed_ = -1;  // < 0: the training context's seed
  int threads_ = 1;
  bool track_loss_ = false;

  // Fitted state (the matrices only between fit and the end of training).
  RowMatrix user_factors_, item_factors_;
  SparseRowMatrix by_user_, by_item_;
  // What fold-in needs after load: each trained user's row (model.safetensors
  // "history"; a model saved before it: the bundle's training items at weight 1)
  // and alpha0 H^T H of the fixed item factors, computed once.
  SparseRowMatrix history_;
  Eigen::MatrixXf item_gram_;
  std::vector<double> epoch_losses_;
};

}  // namespace hybridrec
