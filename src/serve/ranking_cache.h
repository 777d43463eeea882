#pragma once
// Per loaded model: each known user's ranked list, computed on the first request
// and reused by later ones until the model changes (a reload builds a fresh cache)
// or the user's online history does (lists carry the history version they were
// computed from). Bounded by bytes; sharded so
// concurrent requests rarely share a lock. A full shard drops an arbitrary entry:
// recomputing one user's list costs one score_all, so a simple policy is enough.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "model/recommender.h"

namespace hybridrec::serve {

// Best first. `complete` is false when the list holds only the top of the catalog
// (large catalogs, or the approximate candidate stage), so a filter that runs out
// of items must fall back to scoring everything.
struct RankedList {
  std::vector<ScoredItem> items;
  bool complete = true;
  // The version of the user's online history it was computed from (serve/online_history.h):
  // a cached list of another version is stale, so a user's event invalidates it.
  std::uint64_t history_version = 0;
  // A score came out NaN or infinite (a damaged model file, an overflow): the list
  // is empty and never served; the request falls back to popularity.
  bool non_finite = false;
};

class RankingCache {
 public:
  explicit RankingCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  // The user's list if it was computed from online-history version `version`.
  std::shared_ptr<const RankedList> find(std::uint32_t user, std::uint64_t version = 0) const;
  void insert(std::uint32_t user, std::shared_ptr<const RankedList> list);
  bool enabled() const { return max_bytes_ > 0; }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::uint32_t, std::shared_ptr<const RankedList>> lists;
    std::size_t bytes = 0;
  };
  std::size_t max_bytes_;
  std::array<Shard, kShards> shards_;
};

}  // namespace hybridrec::serve
