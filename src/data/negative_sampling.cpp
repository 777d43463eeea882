#include "data/negative_sampling.h"

#include <algorithm>

#include "core/error.h"

namespace hybridrec {

SeenMasks seen_masks(const std::vector<std::vector<std::uint32_t>>& user_items, std::size_t num_users,
                     std::size_t num_items) {
  SeenMasks masks{std::vector<bool>(num_users, false), std::vector<bool>(num_items, false)};
  for (std::size_t u = 0; u < user_items.size() && u < num_users; ++u) {
    masks.users[u] = !user_items[u].empty();
    for (auto i : user_items[u])
      if (i < num_items) masks.items[i] = true;
  }
  return masks;
}

std::vector<std::vector<std::uint32_t>> user_train_items(const Dataset& dataset, std::span<const std::uint32_t> train) {
  std::vector<std::vector<std::uint32_t>> items(dataset.num_users());
  for (auto k : train) {
    const Interaction& x = dataset.interactions[k];
    if (x.user >= items.size()) items.resize(x.user + 1);
    items[x.user].push_back(x.item);
  }
  for (auto& list : items) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return items;
}

NegativeSampler::NegativeSampler(const Dataset& dataset, std::span<const std::uint32_t> train)
    : NegativeSampler(user_train_items(dataset, train), dataset.num_items()) {}

NegativeSampler::NegativeSampler(std::vector<std::vector<std::uint32_t>> user_items, std::size_t num_items)
    : user_items_(std::move(user_items)), num_items_(num_items) {
  for (const auto& list : user_items_)
    if (!list.empty() && list.back() >= num_items_)
      throw Error("negative sampler: item index " + std::to_string(list.back()) + " >= catalogue size " +
                  std::to_string(num_items_));
}

const std::vector<std::uint32_t>& NegativeSampler::positives(std::uint32_t user) const {
  static const std::vector<std::uint32_t> kNone;
  return user < user_items_.size() ? user_items_[user] : kNone;
}

bool NegativeSampler::is_positive(std::uint32_t user, std::uint32_t item) const {
  const auto& p = positives(user);
  return std::binary_search(p.begin(), p.end(), item);
}

std::uint32_t NegativeSampler::sample(std::uint32_t user, Rng& rng) const {
  const auto& p = positives(user);
  if (p.size() >= num_items_)
    throw Error("negative sampler: user " + std::to_string(user) + " has interacted with every item");
  // r-th item (0-based) not in p. For sorted unique p, the number of positives
  // below the answer is the count j of p[k] with p[k] - k <= r; the answer is r + j.
  const auto r = static_cast<std::uint32_t>(rng.uniform_int(num_items_ - p.size()));
  std::size_t lo = 0, hi = p.size();
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (p[mid] - mid <= r)
      lo = mid + 1;
    else
      hi = mid;
  }
  return r + static_cast<std::uint32_t>(lo);
}

void NegativeSampler::sample(std::uint32_t user, std::size_t n, Rng& rng, std::uint32_t* out) const {
  for (std::size_t k = 0; k < n; ++k) out[k] = sample(user, rng);
}

}  // namespace hybridrec
