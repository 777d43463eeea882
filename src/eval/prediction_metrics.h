#pragma once
// Point-wise error of predicted scores against held-out labels (the
// specification's RMSE and MAE). See docs/metrics.md for how the labels are built.
#include <cstddef>
#include <span>

namespace hybridrec {

struct ErrorMetrics {
  double rmse = 0.0;
  double mae = 0.0;
  std::size_t count = 0;
};

// RMSE and MAE of predicted vs label; both spans have the same length. Zero pairs give 0/0/0.
ErrorMetrics prediction_errors(std::span<const float> predicted, std::span<const float> labels);

// Rating-scale mode on explicit data: a score in [0, 1] (clamped first, as a
// sigmoid output would be) maps linearly onto [rating_min, rating_max].
float score_to_rating(float score, float rating_min, float rating_max);

}  // namespace hybridrec
