#pragma once
// The evaluator's per-user results (internal to src/eval): what the ranking pass
// produces for each evaluated user before the means are taken. Sharded evaluation
// gathers these — a few hundred bytes per user, never interactions — so that every
// shard aggregates all users exactly as one process would.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/shard_collectives.h"
#include "eval/prediction_metrics.h"

namespace hybridrec::eval_detail {

struct RankedUser {
  std::uint32_t user = 0;
  bool cold = false;          // no training history
  bool by_fallback = false;   // ranked by the fallback instead of the model
};

// Everything the per-user pass produces, indexed by position in the ranked-user list.
struct PerUser {
  std::size_t width = 0, max_k = 0, num_ks = 0;
  std::vector<double> metrics;               // users x width
  std::vector<std::uint32_t> top;            // users x max_k
  std::vector<std::uint32_t> top_len;        // list length (< max_k for tiny catalogues)
  std::vector<std::uint32_t> cold_relevant;  // relevant items unseen in training
  std::vector<std::uint32_t> cold_hits;      // users x ks: cold relevant items in top-K
  std::vector<double> serendipity;           // users x ks
};

// Replaces this shard's users and results by every shard's, ordered as a single
// process orders them (model users by index, then fallback users by index), so the
// aggregation that follows sums in the same order and gives the same means.
void gather_user_results(ShardCollectives& shards, std::vector<RankedUser>& users, PerUser& per);

// RMSE/MAE over the pairs of every shard (from each shard's sums of squares and
// absolute errors).
ErrorMetrics combine_errors(ShardCollectives& shards, const ErrorMetrics& mine);

}  // namespace hybridrec::eval_detail
