#pragma once
// The training positives every family learns from: one per (user, item) pair of
// split.train, weighted by its strongest event (data.event_weights) and, with a
// recency half-life, decayed by age. The networks sample negatives around them;
// the closed-form families build their user x item matrix from them.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/split.h"

namespace hybridrec {

// One observed (user, item) pair; weight from the configured event weights times,
// on data with a weight column, the row's confidence (interaction_confidence).
struct Positive {
  std::uint32_t user = 0;
  std::uint32_t item = 0;
  float weight = 1.0f;
  // Probability that an epoch trains on it (data.recency_half_life_days with
  // recency_mode sample); drawn afresh every epoch from the run's seed.
  float keep = 1.0f;
};

// How training events become weighted positives: the data: section's
// event_weights (indexed by Event), recency_half_life_days and recency_mode. The
// one reader of those keys, for the networks and every other family alike.
struct PositiveWeighting {
  float event_weights[4] = {1, 1, 1, 1};  // view, add_to_cart, purchase, rating
  double recency_half_life_days = 0.0;    // > 0: a positive decays by half per half-life of age
  // recency_mode sample (true): an epoch keeps a positive with the decayed
  // probability; weight (false): the decay multiplies its weight.
  bool recency_by_sampling = true;

  // Absent keys keep the values above; throws ConfigError naming the key for a
  // weight or half-life that is not a number >= 0, or an unknown recency_mode.
  static PositiveWeighting from_config(const nlohmann::json& config);
};

// event_weights: data.event_weights, indexed by Event.
// With recency_half_life_days > 0 each positive's keep probability (or, with
// by_sampling false, its weight) is also halved per half-life of age before
// split.train_end_time, the newest training interaction.
std::vector<Positive> collect_positives(const Dataset& dataset, const Split& split, const float event_weights[4],
                                        double recency_half_life_days = 0.0, bool by_sampling = true);
// The same with the configuration's weighting.
std::vector<Positive> collect_positives(const Dataset& dataset, const Split& split, const PositiveWeighting& weighting);

}  // namespace hybridrec
