#pragma once
// Timestamps in data files: unix seconds ("881250949") or ISO 8601 ("2024-01-15",
// "2024-01-15T10:30:00Z", "2024-01-15 10:30:00.250+02:00"). Everything becomes
// int64 unix seconds (UTC); fractional seconds are truncated.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hybridrec {

// Returns nullopt for anything else; when `why` is given it receives the reason
// ("month 13 out of range", "expected unix seconds or ISO 8601 date").
std::optional<std::int64_t> parse_timestamp(std::string_view text, std::string* why = nullptr);

// "2024-01-15T10:30:00Z": for reports and time-range summaries.
std::string format_iso8601(std::int64_t unix_seconds);

}  // namespace hybridrec
