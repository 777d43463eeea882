#pragma once
// ReduceLROnPlateau and early stopping on a validation metric that is maximised
// (NDCG@10 by default), with the semantics of torch.optim.lr_scheduler
// (mode='max', threshold 1e-4 relative, cooldown 0).
#include <nlohmann/json.hpp>

namespace hybridrec {

class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(float factor = 0.5f, int patience = 3, float min_lr = 1e-6f) : factor_(factor), patience_(patience), min_lr_(min_lr) {}
  // Returns the learning rate to use for the next epoch.
  float step(double metric, float current_lr);
  nlohmann::json state() const { return {{"best", best_}, {"bad_epochs", bad_epochs_}, {"seen", seen_}}; }
  void load_state(const nlohmann::json& s);

 private:
  float factor_;
  int patience_;
  float min_lr_;
  double best_ = 0.0;
  int bad_epochs_ = 0;
  bool seen_ = false;
};

class EarlyStopping {
 public:
  explicit EarlyStopping(int patience = 5) : patience_(patience) {}
  // Records an epoch's metric; returns true when this epoch is the best so far.
  bool update(double metric, int epoch);
  bool should_stop() const { return patience_ > 0 && bad_epochs_ >= patience_; }
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }
  nlohmann::json state() const { return {{"best", best_}, {"best_epoch", best_epoch_}, {"bad_epochs", bad_epochs_}}; }
  void load_state(const nlohmann::json& s);

 private:
  int patience_;
  double best_ = -1.0;
  int best_epoch_ = -1;
  int bad_epochs_ = 0;
};

}  // namespace hybridrec
