#pragma once
// The median stopping rule (Golovin et al. 2017, Google Vizier; SageMaker's
// early stopping works the same way): after `min_epochs`, a trial stops at
// epoch s when its best objective so far is strictly worse than the median of
// the other trials' running averages of the objective over their first s epochs.
// Only trials that reached epoch s count, and at least `min_trials` of them.
#include <vector>

namespace hybridrec::tune {

struct MedianStoppingRule {
  int min_epochs = 3;
  int min_trials = 3;
};

// own: this trial's per-epoch objective so far; others: the other trials'
// per-epoch objectives. maximize: higher is better.
bool median_rule_says_stop(const std::vector<double>& own, const std::vector<std::vector<double>>& others,
                           const MedianStoppingRule& rule, bool maximize);

}  // namespace hybridrec::tune
