#pragma once
// Two families served as one model: users with training history are ranked by
// one (say ease, best on them), users without by another (say hybrid's content
// path, best on new users). `--model auto` builds it when choosing per segment on
// validation beats the best single family; routing (model/routing.h) then treats
// it like any family: its cold path and content path are the new-user model's,
// its item vectors and item similarity the history model's.
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/recommender.h"

namespace hybridrec {

class RoutedRecommender final : public Recommender {
 public:
  // Unfitted; fit() fits both from model.routed.history / model.routed.new_users
  // (each a model section with its own type), which must not need the trainer.
  explicit RoutedRecommender(const nlohmann::json& config);
  // Already fitted parts (what --model auto builds); has_history[u]: user u had
  // training interactions.
  RoutedRecommender(std::unique_ptr<Recommender> history, std::unique_ptr<Recommender> new_users,
                    std::vector<bool> has_history);

  std::string type() const override { return "routed"; }
  void fit(const TrainingContext& context) override;
  std::size_t num_items() const override { return history_->num_items(); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  bool serves_cold_users() const override { return new_users_->serves_cold_users(); }
  // Each part in its own subfolder (history/, new_users/) in its own format.
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir, const LoadContext& context) override;

  const ContentScoring* content_scoring() const override { return new_users_->content_scoring(); }
  const ItemVectors* item_vectors() const override { return history_->item_vectors(); }
  const ItemSimilarity* item_similarity() const override { return history_->item_similarity(); }
  // Fold-in scores from a history: the history part's (its users share the index space).
  const HistoryFoldIn* history_fold_in() const override { return history_->history_fold_in(); }
  void set_threads(int threads) override;

  // has_history for the constructor: the users with interactions in split.train.
  static std::vector<bool> users_with_history(const Dataset& dataset, const Split& split);

  const Recommender& history_model() const { return *history_; }
  const Recommender& new_user_model() const { return *new_users_; }

 private:
  const Recommender& part_for(std::uint32_t user) const;

  nlohmann::json config_;
  std::unique_ptr<Recommender> history_, new_users_;
  std::vector<bool> has_history_;
};

}  // namespace hybridrec
