#include "model/baselines.h"

namespace hybridrec {

namespace {
// splitmix64 finaliser: a cheap, well-mixed hash, so every (seed, user, item)
// cell is an independent-looking uniform draw without any stored state.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

void RandomBaseline::fit(const TrainingContext& context) {
  seed_ = context.seed;
  num_items_ = context.dataset ? context.dataset->num_items() : 0;
}

float RandomBaseline::score(std::uint32_t user, std::uint32_t item) const {
  const std::uint64_t h = mix(mix(seed_ ^ (static_cast<std::uint64_t>(user) << 32 | item)));
  return static_cast<float>(h >> 40) * (1.0f / 16777216.0f);  // top 24 bits: exact in float, in [0, 1)
}

void RandomBaseline::score_all(std::span<const std::uint32_t> users, float* out) const {
  for (std::size_t u = 0; u < users.size(); ++u)
    for (std::uint32_t i = 0; i < num_items_; ++i) out[u * num_items_ + i] = score(users[u], i);
}

void RandomBaseline::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                 float* out) const {
  for (std::size_t i = 0; i < items.size(); ++i) out[i] = score(users[i], items[i]);
}

}  // namespace hybridrec
