#include "train/sharded_training.h"

#include <algorithm>

#include "core/error.h"
#include "train/model_bundle.h"

namespace hybridrec {

SeenMasks seen_masks_over_shards(const ModelBundle& bundle, ShardCollectives& shards) {
  const SeenMasks mine = seen_masks(bundle.seen, bundle.users.size(), bundle.items.size());
  std::vector<std::uint64_t> users(mine.users.begin(), mine.users.end()), items(mine.items.begin(), mine.items.end());
  shards.sum(users);
  shards.sum(items);
  SeenMasks masks;
  masks.users.assign(users.size(), false);
  masks.items.assign(items.size(), false);
  for (std::size_t u = 0; u < users.size(); ++u) masks.users[u] = users[u] > 0;
  for (std::size_t i = 0; i < items.size(); ++i) masks.items[i] = items[i] > 0;
  return masks;
}

std::vector<std::vector<std::uint32_t>> gather_seen_items(const std::vector<std::vector<std::uint32_t>>& mine,
                                                          ShardCollectives& shards) {
  std::vector<std::uint32_t> packed;  // (user, count, items...) for each user with history here
  for (std::size_t u = 0; u < mine.size(); ++u) {
    if (mine[u].empty()) continue;
    packed.push_back(static_cast<std::uint32_t>(u));
    packed.push_back(static_cast<std::uint32_t>(mine[u].size()));
    packed.insert(packed.end(), mine[u].begin(), mine[u].end());
  }
  const std::vector<std::uint32_t> all = shards.gather_all_values(packed);
  std::vector<std::vector<std::uint32_t>> seen(mine.size());
  for (std::size_t k = 0; k + 1 < all.size();) {
    const std::uint32_t user = all[k], count = all[k + 1];
    if (user >= seen.size() || k + 2 + count > all.size()) throw Error("sharded training: gathered seen items are malformed");
    seen[user].assign(all.begin() + static_cast<std::ptrdiff_t>(k + 2), all.begin() + static_cast<std::ptrdiff_t>(k + 2 + count));
    k += 2 + count;
  }
  return seen;
}

std::size_t part_size(const std::vector<std::uint32_t>& part, ShardCollectives* shards) {
  return shards ? static_cast<std::size_t>(shards->sum(std::uint64_t{part.size()})) : part.size();
}

std::vector<std::uint32_t> union_of_users(const std::vector<std::uint32_t>& mine, ShardCollectives& shards) {
  std::vector<std::uint32_t> all = shards.gather_all_values(mine);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace hybridrec
