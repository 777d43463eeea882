#include "eval/ranking_metrics.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace hybridrec {

namespace {
std::size_t cut(std::span<const std::uint8_t> hits, std::size_t k) { return std::min(k, hits.size()); }

std::size_t hits_in_top(std::span<const std::uint8_t> hits, std::size_t k) {
  std::size_t n = 0;
  for (std::size_t r = 0; r < cut(hits, k); ++r) n += hits[r] != 0;
  return n;
}

double ap_sum(std::span<const std::uint8_t> hits, std::size_t k) {
  double sum = 0.0;
  std::size_t found = 0;
  for (std::size_t r = 0; r < cut(hits, k); ++r)
    if (hits[r]) sum += static_cast<double>(++found) / static_cast<double>(r + 1);
  return sum;
}
}  // namespace

std::vector<std::uint8_t> relevance_hits(std::span<const std::uint32_t> ranked,
                                         std::span<const std::uint32_t> relevant_sorted) {
  std::vector<std::uint8_t> hits(ranked.size());
  for (std::size_t r = 0; r < ranked.size(); ++r)
    hits[r] = std::binary_search(relevant_sorted.begin(), relevant_sorted.end(), ranked[r]);
  return hits;
}

double precision_at_k(std::span<const std::uint8_t> hits, std::size_t k) {
  return k ? static_cast<double>(hits_in_top(hits, k)) / static_cast<double>(k) : 0.0;
}

double recall_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k) {
  return num_relevant ? static_cast<double>(hits_in_top(hits, k)) / static_cast<double>(num_relevant) : 0.0;
}

double ndcg_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k) {
  double dcg = 0.0, idcg = 0.0;
  for (std::size_t r = 0; r < cut(hits, k); ++r)
    if (hits[r]) dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  for (std::size_t r = 0; r < std::min(k, num_relevant); ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  return idcg > 0.0 ? dcg / idcg : 0.0;
}

double average_precision_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k) {
  const std::size_t norm = std::min(k, num_relevant);
  return norm ? ap_sum(hits, k) / static_cast<double>(norm) : 0.0;
}

double average_precision_all_at_k(std::span<const std::uint8_t> hits, std::size_t num_relevant, std::size_t k) {
  return num_relevant ? ap_sum(hits, k) / static_cast<double>(num_relevant) : 0.0;
}

double hit_rate_at_k(std::span<const std::uint8_t> hits, std::size_t k) { return hits_in_top(hits, k) ? 1.0 : 0.0; }

double reciprocal_rank_at_k(std::span<const std::uint8_t> hits, std::size_t k) {
  for (std::size_t r = 0; r < cut(hits, k); ++r)
    if (hits[r]) return 1.0 / static_cast<double>(r + 1);
  return 0.0;
}

// --- RankingMetricSet -------------------------------------------------------

namespace {
constexpr const char* kPerK[] = {"precision", "recall", "ndcg", "map", "map_all", "hit_rate", "mrr"};
constexpr std::size_t kPerKCount = std::size(kPerK);
}  // namespace

RankingMetricSet::RankingMetricSet(std::vector<int> ks) : ks_(std::move(ks)) {
  if (ks_.empty()) throw ConfigError("evaluation: the list of cut-offs K is empty");
  for (int k : ks_)
    if (k < 1) throw ConfigError("evaluation: cut-off K must be >= 1, got " + std::to_string(k));
  std::sort(ks_.begin(), ks_.end());
  ks_.erase(std::unique(ks_.begin(), ks_.end()), ks_.end());
  for (int k : ks_)
    for (const char* metric : kPerK) names_.push_back(std::string(metric) + "@" + std::to_string(k));
  names_.push_back("mrr");
}

std::size_t RankingMetricSet::column(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) throw Error("unknown ranking metric '" + name + "'");
  return static_cast<std::size_t>(it - names_.begin());
}

void RankingMetricSet::compute(std::span<const std::uint8_t> hits, std::size_t num_relevant, double full_rank_rr,
                               double* row) const {
  for (std::size_t j = 0; j < ks_.size(); ++j) {
    const auto k = static_cast<std::size_t>(ks_[j]);
    double* out = row + j * kPerKCount;
    out[0] = precision_at_k(hits, k);
    out[1] = recall_at_k(hits, num_relevant, k);
    out[2] = ndcg_at_k(hits, num_relevant, k);
    out[3] = average_precision_at_k(hits, num_relevant, k);
    out[4] = average_precision_all_at_k(hits, num_relevant, k);
    out[5] = hit_rate_at_k(hits, k);
    out[6] = reciprocal_rank_at_k(hits, k);
  }
  row[ks_.size() * kPerKCount] = full_rank_rr;
}

// --- RankingMeans -----------------------------------------------------------

void RankingMeans::add(const double* row) {
  for (std::size_t c = 0; c < sums_.size(); ++c) sums_[c] += row[c];
  ++users_;
}

void RankingMeans::merge(const RankingMeans& other) {
  for (std::size_t c = 0; c < sums_.size(); ++c) sums_[c] += other.sums_[c];
  users_ += other.users_;
  without_relevant_ += other.without_relevant_;
}

nlohmann::json RankingMeans::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t c = 0; c < sums_.size(); ++c) out[set_->names()[c]] = mean(c);
  return out;
}

}  // namespace hybridrec
