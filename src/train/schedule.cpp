#include "train/schedule.h"

#include <algorithm>

namespace hybridrec {

float ReduceLROnPlateau::step(double metric, float current_lr) {
  // PyTorch's default threshold: an improvement must beat best * (1 + 1e-4).
  if (!seen_ || metric > best_ * (1.0 + 1e-4)) {
    best_ = metric;
    bad_epochs_ = 0;
    seen_ = true;
    return current_lr;
  }
  if (++bad_epochs_ > patience_) {
    bad_epochs_ = 0;
    return std::max(current_lr * factor_, min_lr_);
  }
  return current_lr;
}

void ReduceLROnPlateau::load_state(const nlohmann::json& s) {
  best_ = s.at("best").get<double>();
  bad_epochs_ = s.at("bad_epochs").get<int>();
  seen_ = s.at("seen").get<bool>();
}

bool EarlyStopping::update(double metric, int epoch) {
  if (best_epoch_ < 0 || metric > best_) {
    best_ = metric;
    best_epoch_ = epoch;
    bad_epochs_ = 0;
    return true;
  }
  ++bad_epochs_;
  return false;
}

void EarlyStopping::load_state(const nlohmann::json& s) {
  best_ = s.at("best").get<double>();
  best_epoch_ = s.at("best_epoch").get<int>();
  bad_epochs_ = s.at("bad_epochs").get<int>();
}

}  // namespace hybridrec
