#pragma once
// Loading one user shard of a dataset for a data-parallel job: every process
// streams the interaction file(s) but keeps only the rows of its users (readers.h
// LoadOptions::user_shard), so no process holds all interactions, while each
// user's whole history — and with it "items this user has not interacted with" —
// stays on one process. Users and items files are small and read whole.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "data/readers.h"
#include "data/shard_collectives.h"

namespace hybridrec {

struct ShardLoadReport {
  std::vector<std::uint64_t> held_per_shard;  // interactions each shard keeps, in shard order
  std::uint64_t total = 0;                    // over every shard: what a full load holds
};

// A collective (every shard calls it). The id maps are checked to be identical on
// every shard (same dense index everywhere: they index the replicated embedding
// tables), and dataset-wide facts derived from the rows (explicit ratings and
// their scale) are decided over every shard, as a full load decides them.
Dataset load_dataset_shard(const std::filesystem::path& path, LoadOptions options, ShardCollectives& shards,
                           ShardLoadReport* report = nullptr);

}  // namespace hybridrec
