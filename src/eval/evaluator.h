#pragma once
// Offline evaluation of any Recommender on one part of a split: full-catalogue
// ranking metrics, prediction error on sampled labels, business and fairness
// metrics, and the same ranking metrics per segment (new vs active users,
// cold-start items). Every definition is in docs/metrics.md.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/split.h"
#include "model/recommender.h"

namespace hybridrec {

struct EvalOptions {
  std::vector<int> ks{5, 10, 20};
  std::string part = "test";   // or "validation"
  bool ranking_only = false;   // fast path for per-epoch validation: only "ranking" and counts
  std::string group_by;        // user attribute for fairness; empty = first categorical one
  int threads = 2;
  std::uint64_t seed = 42;     // negative sampling of the prediction labels
  int negatives_per_positive = 4;
  // model.cold_user_path (model/routing.h): "popularity" sends every user without
  // training history to the fallback; auto/content let a model with a cold path rank them.
  std::string cold_user_path = "auto";
  // Set when the dataset is one user shard of a data-parallel job (a collective:
  // every shard evaluates). Each shard ranks its own users; their per-user results
  // and the item statistics are combined, so every shard returns the result one
  // process computes on all users.
  ShardCollectives* shards = nullptr;
};

// The cut-off of the unsuffixed headline values ("map", "coverage", fairness):
// 10 when it is among ks, else the largest K.
int primary_k(const std::vector<int>& ks);

// Evaluates `model` on options.part. Users with no training history that routing
// (model/routing.h) sends to popularity are ranked by `fallback`; the
// fallback's top-K is also the "expected" list of the serendipity metric. A null
// fallback means a popularity baseline fitted here on split.train.
// Throws ConfigError for an unknown part or bad K, Error when model.num_items()
// differs from the dataset's catalogue.
// Result keys: part, ks, primary_k, users_in_part, users_evaluated,
// users_without_relevant, ranking, prediction, business, fairness, segments,
// cold_start_paths, elapsed_seconds (prediction/business/fairness/segments are
// absent when ranking_only).
nlohmann::json evaluate(const Recommender& model, const Dataset& dataset, const Split& split,
                        const EvalOptions& options, const Recommender* fallback = nullptr);

}  // namespace hybridrec
