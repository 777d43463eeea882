#include "model/id_dropout_choice.h"

#include <algorithm>

#include <fmt/format.h>

namespace hybridrec {

namespace {

struct NewEntityShares {
  double users = 0.0, items = 0.0;
  bool measured = false;
};

// Shares of the held-out part's distinct users and items that the training part
// never saw (split_statistics counts them, over every shard).
NewEntityShares new_entity_shares(const Dataset& dataset, const Split& split, ShardCollectives* shards) {
  const nlohmann::json stats = split_statistics(dataset, split, shards);
  const nlohmann::json& held = stats["validation"];
  NewEntityShares s;
  const double users = held["users"].get<double>(), items = held["items"].get<double>();
  if (users <= 0 || items <= 0) return s;
  s.users = held["cold_start_users"].get<double>() / users;
  s.items = held["cold_start_items"].get<double>() / items;
  s.measured = true;
  return s;
}

// The training part split once more in time: its oldest 90% plays train, the
// newest 10% validation. In a sharded run each shard cuts its own rows at its own
// 90% point; the counts are then summed, so every shard gets the same answer.
Split training_tail_split(const Dataset& dataset, const Split& split) {
  std::vector<std::uint32_t> rows = split.train;
  std::stable_sort(rows.begin(), rows.end(), [&](std::uint32_t a, std::uint32_t b) {
    return dataset.interactions[a].timestamp < dataset.interactions[b].timestamp;
  });
  const auto older = static_cast<std::size_t>(static_cast<double>(rows.size()) * (1.0 - kIdDropoutTrainTail));
  Split tail;
  tail.config = split.config;
  tail.train.assign(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(older));
  tail.validation.assign(rows.begin() + static_cast<std::ptrdiff_t>(older), rows.end());
  return tail;
}

}  // namespace

IdDropoutChoice choose_id_dropout_rate(const ModelConfig& config, const Dataset& dataset, const Split& split,
                                       ShardCollectives* shards) {
  IdDropoutChoice choice;
  if (!config.id_dropout_auto) {
    choice.rate = config.id_dropout_rate;
    choice.reason = "set in the configuration";
    choice.record = {{"value", choice.rate}, {"origin", "config"}, {"reason", choice.reason}};
    return choice;
  }
  choice.automatic = true;
  std::uint64_t validation_rows = split.validation.size();
  if (shards) shards->sum(&validation_rows, 1);
  NewEntityShares shares;
  std::string measured_on;
  if (validation_rows > 0) {
    shares = new_entity_shares(dataset, split, shards);
    measured_on = "validation";
  } else if (dataset.has_timestamps) {
    shares = new_entity_shares(dataset, training_tail_split(dataset, split), shards);
    measured_on = "newest 10% of the training part";
  }
  const double share = std::max(shares.users, shares.items);
  choice.rate = std::clamp(static_cast<float>(share), kIdDropoutMin, kIdDropoutMax);
  if (shares.measured)
    choice.reason = fmt::format("{:.1f}% of the {} users and {:.1f}% of its items are new to the training part; "
                                "the larger share, within [{}, {}]",
                                100.0 * shares.users, measured_on, 100.0 * shares.items, kIdDropoutMin, kIdDropoutMax);
  else
    choice.reason = fmt::format("no validation part and no timestamps to measure new users on: the lower bound {}",
                                kIdDropoutMin);
  choice.record = {{"value", choice.rate}, {"origin", "auto"}, {"reason", choice.reason}};
  if (shares.measured) {
    choice.record["measured_on"] = measured_on;
    choice.record["new_user_share"] = shares.users;
    choice.record["new_item_share"] = shares.items;
  }
  return choice;
}

}  // namespace hybridrec
