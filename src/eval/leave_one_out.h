#pragma once
// The sampled leave-one-out protocol of the NCF literature: each held-out
// (user, item) is ranked among N sampled items the user never interacted with,
// and HR@K / NDCG@K are read off its rank. Cheaper and more optimistic than
// full-catalogue ranking; reported beside it, never instead of it.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/split.h"
#include "model/recommender.h"

namespace hybridrec {

// Every distinct (user, item) of split.test not already in the user's training
// items is one case. Ties with a negative count against the held-out item (a
// model that scores everything alike gets no credit). Negatives are drawn
// without replacement, seeded per user; a user with fewer than `negatives`
// never-interacted items uses all of them. Returns {protocol, negatives, cases,
// hit_rate@K, ndcg@K for each K, mrr}.
nlohmann::json evaluate_leave_one_out(const Recommender& model, const Dataset& dataset, const Split& split,
                                      int negatives = 99, const std::vector<int>& ks = {5, 10, 20},
                                      std::uint64_t seed = 42);

}  // namespace hybridrec
