#pragma once
// Inverted-dropout keep decisions from a counter-based hash of (seed, layer,
// sample, unit). Being a pure function of the sample's position in the batch, the
// masks do not depend on how the batch is split across threads, and the loop over
// units vectorises (no sequential RNG state).
#include <cstddef>
#include <cstdint>

namespace hybridrec {

inline std::uint64_t splitmix64_mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

struct DropoutMask {
  std::uint64_t seed = 0;
  float rate = 0.0f;  // drop probability p

  // Keep threshold on 24 random bits: P(drop) = round(p * 2^24) / 2^24.
  std::uint32_t drop_below() const { return static_cast<std::uint32_t>(rate * 16777216.0f + 0.5f); }
  float scale() const { return rate > 0.0f ? 1.0f / (1.0f - rate) : 1.0f; }

  // Multiplies row[j] (already ReLU'd) by 0 or 1/(1-p) for unit j of `sample` in `layer`.
  void apply(int layer, std::size_t sample, float* row, std::size_t width) const {
    const std::uint64_t base =
        splitmix64_mix(seed ^ splitmix64_mix((static_cast<std::uint64_t>(layer) << 40) ^ sample)) ;
    const std::uint32_t threshold = drop_below();
    const float keep_scale = scale();
    for (std::size_t j = 0; j < width; ++j) {
      const std::uint64_t r = splitmix64_mix(base + (j + 1) * 0x9E3779B97F4A7C15ULL);
      const bool keep = static_cast<std::uint32_t>(r >> 40) >= threshold;
      row[j] = keep ? row[j] * keep_scale : 0.0f;
    }
  }
};

}  // namespace hybridrec
