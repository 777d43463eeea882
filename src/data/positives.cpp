#include "data/positives.h"

#include <algorithm>
#include <unordered_map>

#include "data/recency.h"

namespace hybridrec {

std::vector<Positive> collect_positives(const Dataset& dataset, const Split& split, const float event_weights[4],
                                        double recency_half_life_days, bool by_sampling) {
  // One positive per (user, item) pair, weighted by its strongest event: a
  // purchase after three views is one positive of purchase weight, not four. On
  // weighted data (play counts) the pair keeps its largest row's confidence.
  const RecencyDecay decay(recency_half_life_days, split.train_end_time);  // train_end_time: make_split's newest
  std::unordered_map<std::uint64_t, std::uint32_t> index;
  index.reserve(split.train.size());
  std::vector<Positive> positives;
  positives.reserve(split.train.size());
  for (auto idx : split.train) {
    const Interaction& it = dataset.interactions[idx];
    // A weight column's confidence (play counts, transformed at load) scales the event weight.
    float w = event_weights[static_cast<int>(it.event)] * interaction_confidence(dataset, it);
    if (w <= 0.0f) continue;
    float keep = 1.0f;
    if (decay.active()) (by_sampling ? keep : w) *= static_cast<float>(decay.at(it.timestamp));
    std::uint64_t key = (static_cast<std::uint64_t>(it.user) << 32) | it.item;
    auto [pos, inserted] = index.emplace(key, static_cast<std::uint32_t>(positives.size()));
    if (inserted) {
      positives.push_back({it.user, it.item, w, keep});
    } else {
      Positive& p = positives[pos->second];
      p.weight = std::max(p.weight, w);
      p.keep = std::max(p.keep, keep);  // the pair's newest event
    }
  }
  return positives;
}

}  // namespace hybridrec
