#pragma once
// The project's one random number generator: xoshiro256** seeded through
// SplitMix64. Small (32 bytes), fast, and - unlike std::mt19937 with the
// std:: distributions - its uniform/normal draws are specified here, so a
// seed gives the same numbers with every compiler and standard library.
// stream(seed, k) derives statistically independent generators, one per
// thread / user / chunk, so parallel code stays deterministic whatever the
// number of threads.
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace hybridrec {

// SplitMix64 step: used for seeding and for mixing (seed, stream) pairs.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  using result_type = std::uint64_t;  // UniformRandomBitGenerator, for std:: algorithms if needed

  explicit Rng(std::uint64_t seed = 42) { reseed(seed); }

  // An independent generator for sub-stream `stream` of `seed` (thread, user, chunk...).
  // Mixing both through SplitMix64 keeps nearby seeds/streams uncorrelated.
  static Rng stream(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t s = seed;
    std::uint64_t a = splitmix64(s);
    std::uint64_t t = stream ^ 0xD1B54A32D192ED03ULL;
    std::uint64_t b = splitmix64(t);
    return Rng(a ^ (b * 0x9E3779B97F4A7C15ULL) ^ stream);
  }
  // A child generator derived from this one's next output (advances this one).
  Rng split() { return Rng(next()); }

  void reseed(std::uint64_t seed) {
    std::uint64_t s = seed;
    for (auto& w : s_) w = splitmix64(s);
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() { return next(); }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform integer in [0, n); n > 0. Lemire's multiply-shift with rejection: unbiased
  // and needs no division in the common case.
  std::uint64_t uniform_int(std::uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
  // Uniform integer in [lo, hi] (inclusive).
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(uniform_int(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  // Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform float in [0, 1) with 24 random bits.
  float uniform_float() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
  bool bernoulli(double p) { return uniform() < p; }

  // Standard normal (Marsaglia polar method; caches the second value).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  // Fisher-Yates shuffle with this generator (std::shuffle's draws are library-specific).
  template <class RandomIt>
  void shuffle(RandomIt first, RandomIt last) {
    const auto n = last - first;
    for (decltype(last - first) i = n - 1; i > 0; --i) {
      auto j = static_cast<decltype(i)>(uniform_int(static_cast<std::uint64_t>(i) + 1));
      using std::swap;
      swap(first[i], first[j]);
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace hybridrec
