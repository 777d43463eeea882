#pragma once
// The pieces of run_training (train/pipeline.h) that differ when each rank of a
// data-parallel job holds only its user shard of the interactions
// (data/sharded_dataset.h): what the replicated network must agree on (which
// users and items had training data) and what rank 0 must have to save a model
// that serves every user (each user's training items).
#include <cstdint>
#include <vector>

#include "data/negative_sampling.h"
#include "data/shard_collectives.h"

namespace hybridrec {

struct ModelBundle;

// Users and items with training data on any shard (the network's "seen" masks
// must be identical on every rank: they decide which rows the unknown rows follow).
SeenMasks seen_masks_over_shards(const ModelBundle& bundle, ShardCollectives& shards);

// Every user's training items (each user's list lives on exactly one shard), on
// every shard: 4 bytes per distinct training pair, gathered once after training to
// save serving.safetensors. A collective.
std::vector<std::vector<std::uint32_t>> gather_seen_items(const std::vector<std::vector<std::uint32_t>>& mine,
                                                          ShardCollectives& shards);

// The size of a split part over every shard (a collective), or its size when plain.
std::size_t part_size(const std::vector<std::uint32_t>& part, ShardCollectives* shards);

// The sorted union of every shard's users (a collective): identical on every shard.
std::vector<std::uint32_t> union_of_users(const std::vector<std::uint32_t>& mine, ShardCollectives& shards);

}  // namespace hybridrec
