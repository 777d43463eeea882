#pragma once
// Ranking metrics with binary relevance, as pure functions of one user's ranked
// list. Every metric takes `hits` (hits[r] != 0 when the item at rank r+1 is
// relevant) and, where needed, the user's number of relevant items; the list may
// be shorter than K (a catalogue smaller than K), in which case the missing ranks
// count as misses. Definitions and the choices behind them: docs/metrics.md.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec {

// hits for `ranked` against `relevant_sorted` (ascending item indices).
std::vector<std::uint8_t> relevance_hits(std::span<const std::uint32_t> ranked,
                                         std::span<const std::uint32_t> relevant_sorted);

// (# relevant in top-K) / K, the specification's formula even when fewer than K items exist.
double precision_at_k(std::span<const std::uint8_t> hits, std::size_t k);
// (# relevant in top-K) / (# relevant); 0 when there are no relevant items.
double recall_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k);
// DCG@K / IDCG@K with DCG = sum rel_i / log2(i + 1), IDCG from min(K, # relevant) hits.
double ndcg_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k);
// Sum over hit ranks i <= K of precision@i, divided by min(K, # relevant): "map@k".
double average_precision_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k);
// The same sum divided by # relevant: "map_all@k" (cannot reach 1 when # relevant > K).
double average_precision_all_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k);
// 1 when top-K holds at least one relevant item.
double hit_rate_at_k(std::span<const std::uint8_t> hits, std::size_t k);
// 1 / rank of the first relevant item within top-K, 0 when there is none.
double reciprocal_rank_at_k(std::span<const std::uint8_t> hits, std::size_t k);

// The per-user values of every ranking metric for a list of cut-offs, in a fixed
// order, so the evaluator stores one row per user and averages any subset of
// users (all, new, active, one fairness group) without recomputing.
class RankingMetricSet {
 public:
  explicit RankingMetricSet(std::vector<int> ks);  // throws ConfigError for an empty list or K < 1

  const std::vector<int>& ks() const { return ks_; }
  std::size_t max_k() const { return static_cast<std::size_t>(ks_.back()); }
  std::size_t width() const { return names_.size(); }
  // "precision@5", ..., one per column, then "mrr" (full-ranking reciprocal rank).
  const std::vector<std::string>& names() const { return names_; }
  std::size_t column(const std::string& name) const;  // throws Error when unknown

  // Fills row[0..width()) for a user with num_relevant > 0. full_rank_rr is the
  // reciprocal rank of the first relevant item in the whole ranking (beyond max K);
  // pass reciprocal_rank_at_k(hits, hits.size()) when only the list is known.
  void compute(std::span<const std::uint8_t> hits, std::size_t num_relevant, double full_rank_rr, double* row) const;

 private:
  std::vector<int> ks_;  // ascending, unique
  std::vector<std::string> names_;
};

// Means of per-user metric rows. Users without relevant items are not averaged
// (every metric would be 0 or undefined for them) but are counted.
class RankingMeans {
 public:
  explicit RankingMeans(const RankingMetricSet& set) : set_(&set), sums_(set.width(), 0.0) {}
  void add(const double* row);
  void add_without_relevant() { ++without_relevant_; }
  void merge(const RankingMeans& other);
  std::size_t users() const { return users_; }
  std::size_t users_without_relevant() const { return without_relevant_; }
  double mean(std::size_t column) const { return users_ ? sums_[column] / static_cast<double>(users_) : 0.0; }
  // {"precision@5": ..., ..., "mrr": ...}; all metrics 0 when no user was added.
  nlohmann::json to_json() const;

 private:
  const RankingMetricSet* set_;
  std::vector<double> sums_;
  std::size_t users_ = 0, without_relevant_ = 0;
};

}  // namespace hybridrec
