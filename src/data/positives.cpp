#include "data/positives.h"

#include <algorithm>
#include <unordered_map>

#include "core/error.h"
#include "data/recency.h"

namespace hybridrec {

PositiveWeighting PositiveWeighting::from_config(const nlohmann::json& config) {
  PositiveWeighting w;
  if (!config.contains("data") || !config["data"].is_object()) return w;
  const auto& data = config["data"];
  static constexpr const char* kNames[4] = {"view", "add_to_cart", "purchase", "rating"};
  if (data.contains("event_weights")) {
    const auto& section = data["event_weights"];
    if (!section.is_object()) throw ConfigError("data.event_weights must be a map of event name to weight");
    for (int e = 0; e < 4; ++e) {
      if (!section.contains(kNames[e])) continue;
      const auto& v = section[kNames[e]];
      if (!v.is_number() || v.get<double>() < 0)
        throw ConfigError(std::string("data.event_weights.") + kNames[e] + " must be a number >= 0");
      w.event_weights[e] = v.get<float>();
    }
  }
  if (data.contains("recency_half_life_days")) {
    const auto& v = data["recency_half_life_days"];
    if (v.is_string() && v.get<std::string>() == "auto") {
      w.recency_auto = true;
    } else if (v.is_string() && v.get<std::string>() == "off") {
      w.recency_half_life_days = 0.0;
    } else {
      if (!v.is_number() || v.get<double>() < 0)
        throw ConfigError("data.recency_half_life_days must be auto, off (or 0) or a positive number of days (got " +
                          v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ")");
      w.recency_half_life_days = v.get<double>();
    }
  }
  if (data.contains("recency_mode")) {
    const auto& v = data["recency_mode"];
    if (!v.is_string() || (v.get<std::string>() != "sample" && v.get<std::string>() != "weight"))
      throw ConfigError("data.recency_mode must be sample or weight (got " + v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ")");
    w.recency_by_sampling = v.get<std::string>() == "sample";
  }
  return w;
}

double training_span_days(const Dataset& dataset, const Split& split) {
  if (!dataset.has_timestamps || split.train.empty()) return 0.0;
  std::int64_t oldest = split.train_end_time;
  for (auto idx : split.train) oldest = std::min(oldest, dataset.interactions[idx].timestamp);
  return static_cast<double>(split.train_end_time - oldest) / 86400.0;
}

double resolved_half_life_days(const PositiveWeighting& weighting, const Dataset& dataset, const Split& split) {
  if (!weighting.recency_auto) return weighting.recency_half_life_days;
  return kRecencyFractionWithoutValidation * training_span_days(dataset, split);
}

double recency_kept_fraction(const std::vector<Positive>& positives) {
  if (positives.empty()) return 1.0;
  double kept = 0.0;
  for (const auto& p : positives) kept += p.keep;
  return kept / static_cast<double>(positives.size());
}

std::vector<Positive> collect_positives(const Dataset& dataset, const Split& split, const PositiveWeighting& weighting) {
  return collect_positives(dataset, split, weighting.event_weights, resolved_half_life_days(weighting, dataset, split),
                           weighting.recency_by_sampling);
}

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
