#pragma once
// Puts a trained Network behind the Recommender interface, so evaluation and
// serving treat neural models and baselines alike. Training itself goes through
// train/pipeline.h (it needs checkpoints, validation and early stopping), so
// fit() here refuses.
#include "model/network.h"
#include "model/recommender.h"

namespace hybridrec {

class NeuralRecommender : public Recommender {
 public:
  explicit NeuralRecommender(const Network& network) : network_(network) {}
  std::string type() const override { return network_.config().type; }
  void fit(const TrainingContext&) override;
  std::size_t num_items() const override { return network_.num_items(); }
  void score_all(std::span<const std::uint32_t> users, float* out) const override { network_.score_all(users, out); }
  void score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                   float* out) const override {
    network_.predict(users, items, out);
  }
  bool serves_cold_users() const override { return network_.serves_cold_users(); }

 private:
  const Network& network_;
};

}  // namespace hybridrec
