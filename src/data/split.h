#pragma once
// Train/validation/test splits as lists of indices into Dataset::interactions.
// Every strategy is deterministic for a seed.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/shard_collectives.h"

namespace hybridrec {

struct SplitConfig {
  // temporal: global time cut (the specification's default 70/10/20)
  // user_temporal: per user, oldest part to train (ratio) or all but the last N (last_n > 0)
  // user_random: per-user stratified random ratio (e.g. 75/25, MovieLens published tables)
  // leave_one_out: each user's latest interaction to test, the one before to validation
  // files / column: the split supplied with the data (Dataset::supplied_part)
  // The time-based strategies refuse data without timestamps (Dataset::has_timestamps).
  std::string strategy = "temporal";
  double train_ratio = 0.70, val_ratio = 0.10, test_ratio = 0.20;
  int last_n = 0;
  std::uint64_t seed = 42;
};

struct Split {
  std::vector<std::uint32_t> train, validation, test;  // indices into Dataset::interactions
  std::int64_t train_end_time = 0;  // latest timestamp in train: the feature cut
  SplitConfig config;
};

// With `shards`, the dataset is this process's user shard (readers.h
// LoadOptions::user_shard): the per-user strategies are local by nature, and the
// temporal strategy's global time cuts and train_end_time are found with
// collectives, giving every shard the cut a single process computes on all rows.
Split make_split(const Dataset& dataset, const SplitConfig& config, ShardCollectives* shards = nullptr);

// Why `part` ("train", "validation" or "test") of this split is empty, in words a
// user can act on (every interaction shares one timestamp, every user has a single
// interaction, a zero ratio, ...); empty when the part has rows. Local to this
// process's rows in a sharded run.
std::string why_part_is_empty(const Dataset& dataset, const Split& split, const std::string& part);

// Sizes plus the cold-start counts: validation/test users and items that never
// appear in train.
// With `shards`, counts over every shard (a collective: every shard must call it).
nlohmann::json split_statistics(const Dataset& dataset, const Split& split, ShardCollectives* shards = nullptr);

}  // namespace hybridrec
