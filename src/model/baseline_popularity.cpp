#include <algorithm>
#include <string>

#include "core/error.h"
#include "data/recency.h"
#include "model/baselines.h"

namespace hybridrec {

float PopularityWeights::of(Event event) const {
  switch (event) {
    case Event::View: return view;
    case Event::AddToCart: return add_to_cart;
    case Event::Purchase: return purchase;
    case Event::Rating: return rating;
  }
  return 0.0f;
}

PopularityWeights PopularityWeights::from_config(const nlohmann::json& config) {
  PopularityWeights weights;
  if (!config.is_object() || !config.contains("baselines")) return weights;
  const auto& baselines = config["baselines"];
  if (!baselines.is_object() || !baselines.contains("popularity_weights")) return weights;
  const auto& section = baselines["popularity_weights"];
  if (!section.is_object()) throw ConfigError("baselines.popularity_weights must be a mapping of event -> weight");
  for (const auto& [key, value] : section.items()) {
    const auto event = parse_event(key);
    if (!event) throw ConfigError("baselines.popularity_weights." + key + ": unknown event (view, add_to_cart, purchase, rating)");
    if (!value.is_number() || value.get<double>() < 0.0)
      throw ConfigError("baselines.popularity_weights." + key + ": must be a number >= 0, got " + value.dump());
    const float w = value.get<float>();
    switch (*event) {
      case Event::View: weights.view = w; break;
      case Event::AddToCart: weights.add_to_cart = w; break;
      case Event::Purchase: weights.purchase = w; break;
      case Event::Rating: weights.rating = w; break;
    }
  }
  return weights;
}

std::vector<double> weighted_item_popularity(const Dataset& dataset, const Split& split,
                                             const PopularityWeights& weights, double half_life_days,
                                             ShardCollectives* shards) {
  std::vector<double> popularity(dataset.num_items(), 0.0);
  const RecencyDecay decay(half_life_days, split.train_end_time);
  for (std::uint32_t index : split.train) {
    const Interaction& x = dataset.interactions[index];
    // A weight column (play counts) counts each interaction by its confidence.
    popularity[x.item] += weights.of(x.event) * interaction_confidence(dataset, x) * decay.at(x.timestamp);
  }
  if (shards) shards->sum(popularity);
  return popularity;
}

void PopularityBaseline::fit(const TrainingContext& context) {
  if (!context.dataset || !context.split) throw Error("popularity baseline: fit needs a dataset and a split");
  const auto popularity = weighted_item_popularity(*context.dataset, *context.split,
                                                   PopularityWeights::from_config(context.config), 0.0, context.shards);
  const double top = popularity.empty() ? 0.0 : *std::max_element(popularity.begin(), popularity.end());
  scores_.assign(popularity.size(), 0.0f);
  if (top > 0.0)
    for (std::size_t i = 0; i < popularity.size(); ++i) scores_[i] = static_cast<float>(popularity[i] / top);
}

void PopularityBaseline::score_all(std::span<const std::uint32_t> users, float* out) const {
  for (std::size_t u = 0; u < users.size(); ++u) std::copy(scores_.begin(), scores_.end(), out + u * scores_.size());
}

void PopularityBaseline::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                     float* out) const {
  for (std::size_t i = 0; i < items.size(); ++i) out[i] = scores_[items[i]];
}

}  // namespace hybridrec
