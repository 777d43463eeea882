#include "train/data_parallel.h"

#include "core/rng.h"
#include "train/trainer.h"

namespace hybridrec {

std::vector<Positive> shard_positives(const std::vector<Positive>& all, int rank, int size) {
  if (size <= 1) return all;
  std::vector<Positive> mine;
  mine.reserve(all.size() / static_cast<std::size_t>(size) + 1);
  for (std::size_t i = static_cast<std::size_t>(rank); i < all.size(); i += static_cast<std::size_t>(size))
    mine.push_back(all[i]);
  return mine;
}

std::uint64_t rank_seed(std::uint64_t seed, int rank) {
  return rank == 0 ? seed : Rng::stream(seed, 0x52414E4BULL + static_cast<std::uint64_t>(rank)).next();
}

}  // namespace hybridrec
