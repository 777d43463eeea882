#pragma once
// Time decay of interactions: one `half_life_days` older than the newest training
// interaction counts half (tastes and catalogues drift). Shared by the training
// positives (data.recency_half_life_days) and the model's own popularity, so both
// decay alike.
#include <cmath>
#include <cstdint>

namespace hybridrec {

class RecencyDecay {
 public:
  // half_life_days <= 0: no decay (every factor is 1).
  RecencyDecay(double half_life_days, std::int64_t newest)
      : per_second_(half_life_days > 0 ? std::log(2.0) / (half_life_days * 86400.0) : 0.0), newest_(newest) {}
  bool active() const { return per_second_ > 0.0; }
  // 2^(-age / half-life) for an interaction at `timestamp`.
  double at(std::int64_t timestamp) const {
    return active() ? std::exp(-per_second_ * static_cast<double>(newest_ - timestamp)) : 1.0;
  }

 private:
  double per_second_;
  std::int64_t newest_;
};

}  // namespace hybridrec
