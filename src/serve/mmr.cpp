#include "serve/mmr.h"

#include <algorithm>
#include <limits>

namespace hybridrec::serve {

namespace {
float cosine(const RowMatrix& unit, std::uint32_t a, std::uint32_t b) {
  return unit.row(static_cast<Eigen::Index>(a)).dot(unit.row(static_cast<Eigen::Index>(b)));
}
}  // namespace

ItemSimilarityFn cosine_similarity(const RowMatrix& unit_embeddings) {
  return [&unit_embeddings](std::uint32_t a, std::uint32_t b) { return cosine(unit_embeddings, a, b); };
}

std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::size_t k, double diversity,
                                   const RowMatrix& unit_embeddings) {
  if (unit_embeddings.rows() == 0) return mmr_rerank(candidates, k, 0.0, ItemSimilarityFn{});
  return mmr_rerank(candidates, k, diversity, cosine_similarity(unit_embeddings));
}

std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::size_t k, double diversity,
                                   const ItemSimilarityFn& similarity) {
  k = std::min(k, candidates.size());
  if (diversity <= 0 || !similarity) return {candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k)};
  float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  for (const auto& c : candidates) lo = std::min(lo, c.score), hi = std::max(hi, c.score);
  const float range = hi > lo ? hi - lo : 1.0f;
  const auto lambda = static_cast<float>(std::min(diversity, 1.0));

  std::vector<ScoredItem> picked;
  picked.reserve(k);
  std::vector<bool> used(candidates.size(), false);
  // max similarity of each candidate to the picked set, updated incrementally
  std::vector<float> max_sim(candidates.size(), -1.0f);
  while (picked.size() < k) {
    std::size_t best = candidates.size();
    float best_value = std::numeric_limits<float>::lowest();
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (used[i]) continue;
      const float relevance = (candidates[i].score - lo) / range;
      const float penalty = picked.empty() ? 0.0f : max_sim[i];
      const float value = (1.0f - lambda) * relevance - lambda * penalty;
      if (value > best_value) best_value = value, best = i;  // ties keep the model's order
    }
    used[best] = true;
    picked.push_back(candidates[best]);
    for (std::size_t i = 0; i < candidates.size(); ++i)
      if (!used[i]) max_sim[i] = std::max(max_sim[i], similarity(candidates[i].item, candidates[best].item));
  }
  return picked;
}

double intra_list_similarity(std::span<const ScoredItem> items, const RowMatrix& unit_embeddings) {
  double sum = 0;
  std::size_t pairs = 0;
  for (std::size_t a = 0; a < items.size(); ++a)
    for (std::size_t b = a + 1; b < items.size(); ++b, ++pairs) sum += cosine(unit_embeddings, items[a].item, items[b].item);
  return pairs ? sum / static_cast<double>(pairs) : 0.0;
}

RowMatrix normalise_rows(const RowMatrix& m) {
  RowMatrix out = m;
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const float n = out.row(r).norm();
    if (n > 0) out.row(r) /= n;
  }
  return out;
}

}  // namespace hybridrec::serve
