#include "eval/user_item_lists.h"

#include <algorithm>
#include <numeric>

namespace hybridrec {


UserItemLists UserItemLists::build(const Dataset& dataset, std::span<const std::uint32_t> indices) {
  UserItemLists out;
  const std::size_t num_users = dataset.num_users();
  // Counting sort by user, then sort + unique within each user's slice.
  std::vector<std::size_t> start(num_users + 1, 0);
  for (std::uint32_t index : indices) ++start[dataset.interactions[index].user + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<std::uint32_t> items(indices.size());
  {
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (std::uint32_t index : indices) {
      const Interaction& x = dataset.interactions[index];
      items[fill[x.user]++] = x.item;
    }
  }
  out.offsets_.assign(num_users + 1, 0);
  std::size_t write = 0;
  for (std::size_t u = 0; u < num_users; ++u) {
    auto begin = items.begin() + static_cast<std::ptrdiff_t>(start[u]);
    auto end = items.begin() + static_cast<std::ptrdiff_t>(start[u + 1]);
    std::sort(begin, end);
    end = std::unique(begin, end);
    for (auto it = begin; it != end; ++it) items[write++] = *it;  // write <= start[u]: safe in place
    out.offsets_[u + 1] = write;
  }
  items.resize(write);
  items.shrink_to_fit();
  out.items_ = std::move(items);
  return out;
}

UserItemLists UserItemLists::build_all(const Dataset& dataset) {
  std::vector<std::uint32_t> all(dataset.interactions.size());
  std::iota(all.begin(), all.end(), 0u);
  return build(dataset, all);
}

UserItemLists UserItemLists::minus(const UserItemLists& other) const {
  UserItemLists out;
  out.offsets_.assign(offsets_.size(), 0);
  out.items_.reserve(items_.size());
  for (std::uint32_t u = 0; u < num_users(); ++u) {
    const auto mine = of(u), theirs = other.of(u);
    std::set_difference(mine.begin(), mine.end(), theirs.begin(), theirs.end(), std::back_inserter(out.items_));
    out.offsets_[u + 1] = out.items_.size();
  }
  return out;
}

}  // namespace hybridrec
