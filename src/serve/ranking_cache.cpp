#include "serve/ranking_cache.h"

namespace hybridrec::serve {

namespace {
std::size_t bytes_of(const RankedList& list) { return list.items.size() * sizeof(ScoredItem) + 64; }
}  // namespace

std::shared_ptr<const RankedList> RankingCache::find(std::uint32_t user, std::uint64_t version) const {
  const Shard& s = shards_[user % kShards];
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.lists.find(user);
  return it == s.lists.end() || it->second->history_version != version ? nullptr : it->second;
}

void RankingCache::insert(std::uint32_t user, std::shared_ptr<const RankedList> list) {
  if (!enabled()) return;
  const std::size_t size = bytes_of(*list), budget = max_bytes_ / kShards;
  if (size > budget) return;
  Shard& s = shards_[user % kShards];
  std::lock_guard<std::mutex> lock(s.mutex);
  if (auto it = s.lists.find(user); it != s.lists.end()) {
    s.bytes -= bytes_of(*it->second);
    s.lists.erase(it);
  }
  while (s.bytes + size > budget && !s.lists.empty()) {
    s.bytes -= bytes_of(*s.lists.begin()->second);
    s.lists.erase(s.lists.begin());
  }
  s.bytes += size;
  s.lists.emplace(user, std::move(list));
}

}  // namespace hybridrec::serve
