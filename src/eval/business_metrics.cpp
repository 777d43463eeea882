#include "eval/business_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace hybridrec {

double catalog_coverage(std::span<const std::uint32_t> recommended, std::size_t num_items) {
  if (num_items == 0) return 0.0;
  std::vector<std::uint8_t> seen(num_items, 0);
  std::size_t distinct = 0;
  for (std::uint32_t item : recommended)
    if (item < num_items && !seen[item]) {
      seen[item] = 1;
      ++distinct;
    }
  return static_cast<double>(distinct) / static_cast<double>(num_items);
}

double jaccard_distance(std::span<const std::int32_t> a, std::span<const std::int32_t> b) {
  if (a.empty() && b.empty()) return 0.0;
  std::size_t common = 0, i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++common, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  const std::size_t united = a.size() + b.size() - common;
  return 1.0 - static_cast<double>(common) / static_cast<double>(united);
}

double intra_list_diversity(std::span<const std::uint32_t> list,
                            const std::vector<std::vector<std::int32_t>>& item_categories) {
  double sum = 0.0;
  std::size_t pairs = 0;
  for (std::size_t x = 0; x < list.size(); ++x) {
    if (list[x] >= item_categories.size() || item_categories[list[x]].empty()) continue;
    for (std::size_t y = x + 1; y < list.size(); ++y) {
      if (list[y] >= item_categories.size() || item_categories[list[y]].empty()) continue;
      sum += jaccard_distance(item_categories[list[x]], item_categories[list[y]]);
      ++pairs;
    }
  }
  return pairs ? sum / static_cast<double>(pairs) : std::numeric_limits<double>::quiet_NaN();
}

NoveltyModel::NoveltyModel(std::span<const std::size_t> degree, std::size_t num_users) {
  const std::size_t n = degree.size();
  rank_novelty_.assign(n, 0.0);
  self_information_.assign(n, 0.0);
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return degree[a] > degree[b]; });
  // Tied degrees share the mean of their 0-based ranks.
  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin;
    while (end < n && degree[order[end]] == degree[order[begin]]) ++end;
    const double mean_rank = 0.5 * static_cast<double>(begin + end - 1);
    for (std::size_t r = begin; r < end; ++r) rank_novelty_[order[r]] = n > 1 ? mean_rank / static_cast<double>(n - 1) : 0.0;
    begin = end;
  }
  for (std::size_t i = 0; i < n; ++i)
    self_information_[i] = -std::log2((static_cast<double>(degree[i]) + 1.0) / (static_cast<double>(num_users) + 1.0));
}

double NoveltyModel::mean_rank_novelty(std::span<const std::uint32_t> list) const {
  if (list.empty()) return 0.0;
  double sum = 0.0;
  for (std::uint32_t item : list) sum += rank_novelty_[item];
  return sum / static_cast<double>(list.size());
}

double NoveltyModel::mean_self_information(std::span<const std::uint32_t> list) const {
  if (list.empty()) return 0.0;
  double sum = 0.0;
  for (std::uint32_t item : list) sum += self_information_[item];
  return sum / static_cast<double>(list.size());
}

double serendipity(std::span<const std::uint32_t> list, std::span<const std::uint32_t> relevant_sorted,
                   std::span<const std::uint32_t> popular_sorted) {
  if (list.empty()) return 0.0;
  std::size_t unexpected_and_relevant = 0;
  for (std::uint32_t item : list)
    if (std::binary_search(relevant_sorted.begin(), relevant_sorted.end(), item) &&
        !std::binary_search(popular_sorted.begin(), popular_sorted.end(), item))
      ++unexpected_and_relevant;
  return static_cast<double>(unexpected_and_relevant) / static_cast<double>(list.size());
}

}  // namespace hybridrec
