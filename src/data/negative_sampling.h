#pragma once
// Negative sampling for implicit feedback: for a user, draw catalogue items the
// user has NOT interacted with in training. Each draw is exact and uniform over the
// user's non-items (the r-th gap of the user's sorted item list, one random number
// per draw, no rejection loop), so it stays fast even for users who have seen most
// of the catalogue, and a seed gives the same negatives on every run.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"
#include "data/dataset.h"

namespace hybridrec {

// Items of each user in the given (training) interactions, sorted and unique.
// Indexed by user; users without training interactions get an empty list.
std::vector<std::vector<std::uint32_t>> user_train_items(const Dataset& dataset, std::span<const std::uint32_t> train);

// Which users and items had training data, from such per-user lists: what the
// networks route to their learned rows (the rest take the "unknown" rows).
struct SeenMasks {
  std::vector<bool> users, items;
};
SeenMasks seen_masks(const std::vector<std::vector<std::uint32_t>>& user_items, std::size_t num_users,
                     std::size_t num_items);

class NegativeSampler {
 public:
  NegativeSampler(const Dataset& dataset, std::span<const std::uint32_t> train);
  // From precomputed sorted unique lists (e.g. user_train_items) and the catalogue size.
  NegativeSampler(std::vector<std::vector<std::uint32_t>> user_items, std::size_t num_items);

  // One item the user has not interacted with in training. Throws hybridrec::Error
  // when the user has interacted with the whole catalogue (check has_negatives()).
  std::uint32_t sample(std::uint32_t user, Rng& rng) const;
  // n negatives into out (drawn independently, so repeats are possible).
  void sample(std::uint32_t user, std::size_t n, Rng& rng, std::uint32_t* out) const;

  bool has_negatives(std::uint32_t user) const { return positives(user).size() < num_items_; }
  bool is_positive(std::uint32_t user, std::uint32_t item) const;
  const std::vector<std::uint32_t>& positives(std::uint32_t user) const;
  std::size_t num_items() const { return num_items_; }
  std::size_t num_users() const { return user_items_.size(); }

  // Per-thread generators for parallel sampling: stream t of the seed.
  static Rng thread_rng(std::uint64_t seed, int thread) { return Rng::stream(seed, 0x4E454753ULL + thread); }

 private:
  std::vector<std::vector<std::uint32_t>> user_items_;
  std::size_t num_items_ = 0;
};

}  // namespace hybridrec
