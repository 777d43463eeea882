#include "train/neural_recommender.h"

#include <algorithm>

#include "core/error.h"

namespace hybridrec {

NeuralRecommender::NeuralRecommender(const Network& network, const std::vector<std::vector<std::uint32_t>>& seen,
                                     const std::vector<float>& popularity)
    : network_(network) {
  if (popularity.size() != network.num_items())
    throw Error("neural recommender: the popularity scores cover a different number of items");
  seen_ = &seen;
  const float top = popularity.empty() ? 0.0f : *std::max_element(popularity.begin(), popularity.end());
  popularity_.resize(popularity.size(), 0.0f);
  if (top > 0.0f)
    for (std::size_t i = 0; i < popularity.size(); ++i) popularity_[i] = popularity[i] / top;
}

void NeuralRecommender::fit(const TrainingContext&) {
  throw Error("neural models are trained with run_training() (train/pipeline.h), which adds validation, "
              "early stopping and checkpoints");
}

bool NeuralRecommender::by_popularity(std::uint32_t user) const {
  return !popularity_.empty() && (user >= seen_->size() || (*seen_)[user].empty());
}

void NeuralRecommender::score_all(std::span<const std::uint32_t> users, float* out) const {
  if (popularity_.empty()) return network_.score_all(users, out);
  // The network scores the known users in one call (it batches them); cold ones
  // get the popularity row.
  std::vector<std::uint32_t> known;
  std::vector<std::size_t> where;
  const std::size_t n = popularity_.size();
  for (std::size_t k = 0; k < users.size(); ++k) {
    if (by_popularity(users[k])) {
      std::copy(popularity_.begin(), popularity_.end(), out + k * n);
    } else {
      known.push_back(users[k]);
      where.push_back(k);
    }
  }
  if (known.empty()) return;
  if (known.size() == users.size()) return network_.score_all(users, out);
  std::vector<float> scores(known.size() * n);
  network_.score_all(known, scores.data());
  for (std::size_t j = 0; j < known.size(); ++j)
    std::copy(scores.begin() + static_cast<std::ptrdiff_t>(j * n), scores.begin() + static_cast<std::ptrdiff_t>((j + 1) * n),
              out + where[j] * n);
}

void NeuralRecommender::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                    float* out) const {
  network_.predict(users, items, out);
  if (popularity_.empty()) return;
  for (std::size_t k = 0; k < users.size(); ++k)
    if (by_popularity(users[k])) out[k] = popularity_[items[k]];
}

}  // namespace hybridrec
