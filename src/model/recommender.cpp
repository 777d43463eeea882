#include "model/recommender.h"

#include <algorithm>

#include "core/error.h"

namespace hybridrec {

void Recommender::score_items(std::uint32_t user, std::span<const std::uint32_t> items, float* out) const {
  const std::vector<std::uint32_t> users(items.size(), user);
  score_pairs(users, items, out);
}

std::vector<ScoredItem> top_k(std::span<const float> scores, std::size_t k,
                              std::span<const std::uint32_t> exclude_sorted) {
  constexpr auto better = ranks_before;
  std::vector<ScoredItem> heap;  // min-heap by `better`: front is the worst kept
  heap.reserve(k + 1);
  std::size_t ex = 0;
  for (std::uint32_t i = 0; i < scores.size() && k > 0; ++i) {
    while (ex < exclude_sorted.size() && exclude_sorted[ex] < i) ++ex;
    if (ex < exclude_sorted.size() && exclude_sorted[ex] == i) continue;
    ScoredItem s{i, scores[i]};
    if (heap.size() < k) {
      heap.push_back(s);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(s, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = s;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

}  // namespace hybridrec
