#pragma once
// Puts a trained Network behind the Recommender interface, so evaluation and
// serving treat neural models and baselines alike. Training itself goes through
// train/pipeline.h (it needs checkpoints, validation and early stopping), so
// fit() here refuses.
//
// Users without training history may be ranked by the model's own popularity
// scores instead (ModelBundle::popularity, recency-weighted when the model was
// trained with data.recency_half_life_days): ncf has no cold path, and a hybrid's
// content path may lose to them (ModelBundle::cold_users_by_popularity). The
// recommender then serves cold users itself, not the evaluator's fallback.
#include <cstdint>
#include <vector>

#include "model/network.h"
#include "model/recommender.h"

namespace hybridrec {

class NeuralRecommender : public Recommender {
 public:
  explicit NeuralRecommender(const Network& network) : network_(network) {}
  // seen: training items per user (a user with none is cold; must outlive this
  // object); popularity: one weighted count per item, scaled to [0, 1] as the
  // popularity baseline's scores are.
  NeuralRecommender(const Network& network, const std::vector<std::vector<std::uint32_t>>& seen,
                    const std::vector<float>& popularity);
  std::string type() const override { return network_.config().type; }
  void fit(const TrainingContext&) override;
  std::size_t num_items() const override { return network_.num_items(); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override;
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override;
  bool serves_cold_users() const override { return network_.serves_cold_users() || !popularity_.empty(); }

 private:
  bool by_popularity(std::uint32_t user) const;

  const Network& network_;
  const std::vector<std::vector<std::uint32_t>>* seen_ = nullptr;
  std::vector<float> popularity_;  // scaled to [0, 1]; empty: the network ranks every user
};

}  // namespace hybridrec
