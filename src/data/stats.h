#pragma once
// Dataset, split and feature statistics for `hybridrec stats`: one JSON report for
// machines and a compact human-readable rendering of the same report.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/features.h"
#include "data/positives.h"
#include "data/split.h"

namespace hybridrec {

// users, items, interactions by event, distinct pairs, sparsity, time range,
// per-user and per-item count quantiles, rating summary, attribute columns.
nlohmann::json dataset_statistics(const Dataset& dataset);

// Per side (users, items): dense dim, categorical fields with cardinalities and the
// number of entities in the unknown bucket, and min/mean/max of every dense feature.
nlohmann::json feature_statistics(const FeatureSet& features);

// How data.recency_half_life_days meets this split: the training span, the share
// of training positives an epoch keeps at each value auto tries, and at the
// configured value; "warnings" when a fixed value keeps under 10% of them.
nlohmann::json recency_statistics(const Dataset& dataset, const Split& split, const PositiveWeighting& weighting);

// The guard rails stats can see from the data: an empty split part (and why).
std::vector<std::string> split_warnings(const Dataset& dataset, const Split& split);

// Renders {"dataset": ..., "split": ..., "features": ..., "recency": ...,
// "warnings": [...]} (any subset) as text.
std::string format_statistics_text(const nlohmann::json& report);

// "2024-01-15T10:30:00Z" for unix seconds.
std::string iso_utc(std::int64_t unix_seconds);

}  // namespace hybridrec
