#pragma once
// The specification's business metrics (coverage, diversity, novelty,
// serendipity) as pure functions of recommendation lists. Definitions:
// docs/metrics.md.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hybridrec {

// Share of the catalogue that appears at least once in `recommended` (every
// user's top-K concatenated). Duplicates count once.
double catalog_coverage(std::span<const std::uint32_t> recommended, std::size_t num_items);

// 1 - |a ∩ b| / |a ∪ b| for sorted unique category sets. With single categories
// this is 1 when they differ and 0 when equal.
double jaccard_distance(std::span<const std::int32_t> a, std::span<const std::int32_t> b);

// Mean Jaccard distance over all pairs of the list whose items both have a known
// category. Returns NaN when the list has no such pair (fewer than two
// categorised items): such a list says nothing about diversity.
double intra_list_diversity(std::span<const std::uint32_t> list,
                            const std::vector<std::vector<std::int32_t>>& item_categories);

// Popularity of each item in training expressed two ways, so a list's novelty is
// a mean over per-item values.
class NoveltyModel {
 public:
  // degree[i] = number of distinct training users of item i; num_users = training users.
  NoveltyModel(std::span<const std::size_t> degree, std::size_t num_users);

  // (popularity rank - 1) / (num_items - 1): 0 = most popular, 1 = least popular;
  // tied items share their mean rank so ties do not depend on item order.
  double rank_novelty(std::uint32_t item) const { return rank_novelty_[item]; }
  // -log2((degree + 1) / (num_users + 1)): the surprise of meeting the item; the +1
  // keeps never-seen items finite.
  double self_information(std::uint32_t item) const { return self_information_[item]; }

  double mean_rank_novelty(std::span<const std::uint32_t> list) const;
  double mean_self_information(std::span<const std::uint32_t> list) const;

 private:
  std::vector<double> rank_novelty_;
  std::vector<double> self_information_;
};

// Share of the list's items that are relevant and not in the popularity
// baseline's list for the same user (both sorted spans of item indices except
// `list`, which is in rank order). An empty list gives 0.
double serendipity(std::span<const std::uint32_t> list, std::span<const std::uint32_t> relevant_sorted,
                   std::span<const std::uint32_t> popular_sorted);

}  // namespace hybridrec
