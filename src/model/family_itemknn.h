#pragma once
// Item-item kNN: the cosine similarity of item columns of the user x item matrix,
// sim(a, b) = x_a . x_b / (|x_a| |x_b| + shrinkage), pruned to each item's
// model.itemknn.neighbors most similar items; a user's scores are X_u W (the
// neighbours of every item in the history vote for themselves), as in implicit's
// ItemItemRecommender. Sparse throughout, so it serves catalogues EASE cannot.
#include <cstdint>

#include "model/abilities.h"
#include "model/interaction_matrix.h"
#include "model/recommender.h"

namespace hybridrec {

class ItemKnnRecommender : public Recommender, public ItemSimilarity, public HistoryFoldIn {
 public:
  explicit ItemKnnRecommender(const nlohmann::json& config);  // reads model.itemknn.*

  std::string type() const override { return "itemknn"; }
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return static_cast<std::size_t>(neighbors_.rows()); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;
  const ItemSimilarity* item_similarity() const override { return this; }
  const HistoryFoldIn* history_fold_in() const override { return this; }
  void set_threads(int threads) override { threads_ = threads < 1 ? 1 : threads; }

  // The (shrunk) cosine when either item keeps the other as a neighbour, else 0;
  // symmetric because the cosine is.
  float item_similarity(std::uint32_t a, std::uint32_t b) const override;

  // Scores every item for a history row (1 x num_items), e.g. a user unseen in training.
  void score_history(const SparseRowMatrix& history_row, float* out) const;
  // Fold-in: score_history of the training row merged with the online entries.
  void score_folded_in(std::optional<std::uint32_t> trained_user, std::span<const HistoryEntry> online,
                       float* out_all_items) const override;

  // W: row a holds item a's kept neighbours (sorted by item index) and similarities.
  const SparseRowMatrix& neighbors() const { return neighbors_; }
  int neighbor_count() const { return neighbor_count_; }

 private:
  float weight(std::int64_t source, std::uint32_t target) const;  // W(source, target), 0 when pruned

  int neighbor_count_ = 100;
  double shrinkage_ = 0.0;
  int threads_ = 1;
  SparseRowMatrix neighbors_;  // W, num_items x num_items
  SparseRowMatrix history_;    // X, the training rows scores come from
};

}  // namespace hybridrec
