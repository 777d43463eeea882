#include "eval/prediction_metrics.h"

#include <algorithm>
#include <cmath>

namespace hybridrec {

ErrorMetrics prediction_errors(std::span<const float> predicted, std::span<const float> labels) {
  ErrorMetrics m;
  m.count = std::min(predicted.size(), labels.size());
  if (m.count == 0) return m;
  double squared = 0.0, absolute = 0.0;
  for (std::size_t i = 0; i < m.count; ++i) {
    const double e = static_cast<double>(predicted[i]) - static_cast<double>(labels[i]);
    squared += e * e;
    absolute += std::abs(e);
  }
  m.rmse = std::sqrt(squared / static_cast<double>(m.count));
  m.mae = absolute / static_cast<double>(m.count);
  return m;
}

float score_to_rating(float score, float rating_min, float rating_max) {
  const float s = std::clamp(score, 0.0f, 1.0f);
  return rating_min + s * (rating_max - rating_min);
}

}  // namespace hybridrec
