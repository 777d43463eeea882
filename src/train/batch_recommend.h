#pragma once
// Top-k for many users at once: `hybridrec recommend --all-users`, and the Python
// package's batch recommend. Users go in blocks that share one score_all call (a
// matrix product for the networks), blocks spread over OpenMP threads; each user
// is routed exactly as ModelBundle::recommend routes one (model/routing.h), so a
// batch and a loop of single calls give the same lists and scores.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "model/routing.h"
#include "train/model_bundle.h"

namespace hybridrec {

struct BatchRecommendOptions {
  std::size_t k = 10;
  bool exclude_seen = true;  // leave out each user's training items
  int threads = 2;
  // Called with the number of users done so far, from one thread at a time.
  std::function<void(std::size_t done)> on_progress;
};

// Top-k per user (dense indices of `bundle.users`), in input order, and the
// route that served each (when `routes` is given).
std::vector<std::vector<ScoredItem>> recommend_batch(const ModelBundle& bundle, std::span<const std::uint32_t> users,
                                                     const BatchRecommendOptions& options,
                                                     std::vector<Route>* routes = nullptr);

// Scores of (users[i], items[i]) pairs by each user's route: the model's scores,
// or the [0, 1] popularity a user routed to the fallback is ranked by.
std::vector<float> score_pairs_routed(const ModelBundle& bundle, std::span<const std::uint32_t> users,
                                      std::span<const std::uint32_t> items);

}  // namespace hybridrec
