#include "serve/traffic_split.h"

#include <cmath>

namespace hybridrec::serve {

std::uint64_t stable_user_hash(std::string_view user_id) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : user_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

std::uint32_t traffic_bucket(std::string_view user_id) {
  return static_cast<std::uint32_t>(stable_user_hash(user_id) % 10000);
}

bool assigned_to_challenger(std::string_view user_id, double challenger_percent) {
  if (!(challenger_percent > 0)) return false;
  const auto cut = static_cast<std::uint32_t>(std::llround(std::min(challenger_percent, 100.0) * 100.0));
  return traffic_bucket(user_id) < cut;
}

}  // namespace hybridrec::serve
