#include "eval/leave_one_out.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_set>

#include "core/error.h"
#include "eval/user_item_lists.h"

namespace hybridrec {

nlohmann::json evaluate_leave_one_out(const Recommender& model, const Dataset& dataset, const Split& split,
                                      int negatives, const std::vector<int>& ks_in, std::uint64_t seed) {
  if (negatives < 1) throw ConfigError("leave-one-out: negatives must be >= 1, got " + std::to_string(negatives));
  std::vector<int> ks = ks_in;
  for (int k : ks)
    if (k < 1) throw ConfigError("leave-one-out: K must be >= 1, got " + std::to_string(k));
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  const std::size_t n = dataset.num_items();
  if (model.num_items() != n) throw Error("leave-one-out: the model and the dataset have different catalogues");

  const UserItemLists train = UserItemLists::build(dataset, split.train);
  const UserItemLists held_out = UserItemLists::build(dataset, split.test).minus(train);
  const UserItemLists interacted = UserItemLists::build_all(dataset);

  // One case = the held-out item followed by its sampled negatives, all scored in one call.
  std::vector<std::uint32_t> users, items;
  std::vector<std::size_t> case_begin;
  std::vector<std::uint32_t> candidates;
  for (std::uint32_t u = 0; u < held_out.num_users(); ++u) {
    const auto positives = held_out.of(u);
    if (positives.empty()) continue;
    const auto seen = interacted.of(u);
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + u);
    for (std::uint32_t positive : positives) {
      case_begin.push_back(users.size());
      users.push_back(u), items.push_back(positive);
      const std::size_t available = n - seen.size();
      if (available <= static_cast<std::size_t>(negatives) || seen.size() * 2 > n) {
        // Few candidates: enumerate them and take a random subset.
        candidates.clear();
        for (std::uint32_t i = 0, j = 0; i < n; ++i) {
          while (j < seen.size() && seen[j] < i) ++j;
          if (j == seen.size() || seen[j] != i) candidates.push_back(i);
        }
        std::shuffle(candidates.begin(), candidates.end(), rng);
        candidates.resize(std::min(candidates.size(), static_cast<std::size_t>(negatives)));
      } else {
        std::unordered_set<std::uint32_t> drawn;
        std::uniform_int_distribution<std::uint32_t> any(0, static_cast<std::uint32_t>(n - 1));
        candidates.clear();
        while (candidates.size() < static_cast<std::size_t>(negatives)) {
          const std::uint32_t item = any(rng);
          if (std::binary_search(seen.begin(), seen.end(), item) || !drawn.insert(item).second) continue;
          candidates.push_back(item);
        }
      }
      for (std::uint32_t item : candidates) users.push_back(u), items.push_back(item);
    }
  }
  case_begin.push_back(users.size());

  std::vector<float> scores(users.size());
  model.score_pairs(users, items, scores.data());

  std::vector<double> hr(ks.size(), 0.0), ndcg(ks.size(), 0.0);
  double mrr = 0.0;
  const std::size_t cases = case_begin.size() - 1;
  for (std::size_t c = 0; c < cases; ++c) {
    const float positive = scores[case_begin[c]];
    std::size_t rank = 1;
    for (std::size_t j = case_begin[c] + 1; j < case_begin[c + 1]; ++j) rank += !(scores[j] < positive);
    mrr += 1.0 / static_cast<double>(rank);
    for (std::size_t q = 0; q < ks.size(); ++q)
      if (rank <= static_cast<std::size_t>(ks[q])) {
        hr[q] += 1.0;
        ndcg[q] += 1.0 / std::log2(static_cast<double>(rank) + 1.0);
      }
  }
  nlohmann::json out{{"protocol", "leave_one_out"}, {"negatives", negatives}, {"cases", cases}};
  for (std::size_t q = 0; q < ks.size(); ++q) {
    out["hit_rate@" + std::to_string(ks[q])] = cases ? hr[q] / static_cast<double>(cases) : 0.0;
    out["ndcg@" + std::to_string(ks[q])] = cases ? ndcg[q] / static_cast<double>(cases) : 0.0;
  }
  out["mrr"] = cases ? mrr / static_cast<double>(cases) : 0.0;
  return out;
}

}  // namespace hybridrec
