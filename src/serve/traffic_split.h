#pragma once
// Champion/challenger assignment by a stable hash of the user id: a user always
// sees the same model for a given challenger share, and because the bucket does
// not depend on the share, raising a canary from 10% to 20% keeps the first 10%
// on the challenger (users only ever move champion -> challenger as it grows).
#include <cstdint>
#include <string_view>

namespace hybridrec::serve {

// FNV-1a 64 of the id, mixed (splitmix64 finaliser) so that similar ids spread.
std::uint64_t stable_user_hash(std::string_view user_id);
// The user's bucket in [0, 10000): basis points, so a share of 12.5% is exact.
std::uint32_t traffic_bucket(std::string_view user_id);
// True when the user belongs to the challenger at `challenger_percent` (0..100).
bool assigned_to_challenger(std::string_view user_id, double challenger_percent);

}  // namespace hybridrec::serve
