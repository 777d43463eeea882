#pragma once
// data.recency_half_life_days: auto. How fast old positives fade depends on how
// fast the data's tastes drift, which no number of days fits across datasets (10
// days, tuned on MovieLens 100K's 7 months, kept 0.1% of a 22-year dataset's
// positives). auto tries "off" and a few fractions of the training period's span
// (data/positives.h kRecencySpanFractions), each scored on the validation part,
// and keeps the best; without a validation part it uses a fixed fraction of the
// span. A number (days) or off is kept as given. Never looks at the test part.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "data/positives.h"

namespace hybridrec {

struct RecencyChoice {
  double half_life_days = 0.0;  // 0: off
  bool automatic = false;       // chosen by auto (else the configured value)
  std::string reason;           // one line: what was chosen and why
  // What config.json records under auto_settings["data.recency_half_life_days"]:
  // {"value", "origin": "auto"|"config", "reason", "span_days", "kept_fraction",
  //  "candidates": [{"fraction_of_span", "half_life_days", "kept_fraction", "ndcg@10", "seconds"}]}.
  nlohmann::json record;
};

// The validation NDCG@10 of a quick fit with this half-life (0 = off).
using HalfLifeScore = std::function<double(double half_life_days)>;

// Resolves the weighting's half-life on this split, whose training period spans
// span_days (training_span_days; over every shard in a sharded run). `score` is
// called once per grid value when the setting is auto and `score` is set (a
// validation part to choose on); otherwise not at all, and auto takes the span
// rule, for the reason `no_score_reason`.
RecencyChoice choose_recency_half_life(const PositiveWeighting& weighting, const Dataset& dataset, const Split& split,
                                       double span_days, const HalfLifeScore& score, const std::string& no_score_reason,
                                       Progress& progress);

// "off" or "12.5 days".
std::string describe_half_life(double half_life_days);

}  // namespace hybridrec
