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
  // data.recency_half_life_days: auto. The pipeline chooses a multiple of the
  // training span on validation (train/recency_choice.h) and writes the number
  // back into the configuration; a reader that meets an unresolved auto (no
  // pipeline, e.g. a family fitted directly) uses the span rule below.
  bool recency_auto = false;
  // recency_mode sample (true): an epoch keeps a positive with the decayed
  // probability; weight (false): the decay multiplies its weight.
  bool recency_by_sampling = true;

  // Absent keys keep the values above; the half-life is a number of days >= 0,
  // `off` (= 0) or `auto`. Throws ConfigError naming the key for a weight or
  // half-life that is none of these, or an unknown recency_mode.
  static PositiveWeighting from_config(const nlohmann::json& config);
};

// The time scale recency is measured against: days from the oldest to the newest
// training interaction (0 without timestamps or training rows). Sharded runs
// take the span of this shard's rows (the pipeline resolves auto beforehand).
double training_span_days(const Dataset& dataset, const Split& split);

// auto's fractions of the training span, coarse to fine (the validation grid,
// with "off" before them), and the one used without a validation part: a choice
// that depends only on the data's span, never a number of days.
inline constexpr double kRecencySpanFractions[] = {0.5, 0.25, 0.125, 0.0625, 0.03125};
inline constexpr double kRecencyFractionWithoutValidation = 0.5;

// The half-life the weighting stands for on this split: the number, or for an
// unresolved auto, kRecencyFractionWithoutValidation x the training span.
double resolved_half_life_days(const PositiveWeighting& weighting, const Dataset& dataset, const Split& split);

// Mean keep probability (sample mode) of the training positives at a half-life:
// the share of positives an epoch trains on. 1 when off.
double recency_kept_fraction(const std::vector<Positive>& positives);

// event_weights: data.event_weights, indexed by Event.
// With recency_half_life_days > 0 each positive's keep probability (or, with
// by_sampling false, its weight) is also halved per half-life of age before
// split.train_end_time, the newest training interaction.
std::vector<Positive> collect_positives(const Dataset& dataset, const Split& split, const float event_weights[4],
                                        double recency_half_life_days = 0.0, bool by_sampling = true);
// The same with the configuration's weighting (an unresolved auto as resolved_half_life_days).
std::vector<Positive> collect_positives(const Dataset& dataset, const Split& split, const PositiveWeighting& weighting);

}  // namespace hybridrec
