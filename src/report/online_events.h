#pragma once
// Online metrics per served model, read from the feedback events `hybridrec
// serve` appends to <workspace>/serving/events.jsonl (one JSON object per line:
// type impression|click|add_to_cart|purchase, request_id, model_id, received_at).
// A recommendation response is the unit, as the server counts it: impressed once
// any event names its request_id, clicked once a click does, converted once a
// purchase does; so CTR and conversion rate are proportions in [0, 1].
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace hybridrec::report {

struct OnlineCounts {
  std::uint64_t responses = 0, clicked = 0, carted = 0, converted = 0;  // distinct responses
  std::uint64_t events = 0;
  std::string first_event, last_event;  // received_at
  double ctr() const { return responses ? static_cast<double>(clicked) / static_cast<double>(responses) : 0.0; }
  double conversion_rate() const {
    return responses ? static_cast<double>(converted) / static_cast<double>(responses) : 0.0;
  }
};

struct OnlineEvents {
  std::map<std::string, OnlineCounts> by_model;
  std::size_t skipped_lines = 0;  // torn or malformed lines
  bool file_exists = false;
};

std::filesystem::path online_events_path(const std::filesystem::path& workspace);
// A missing file reads as no events; unreadable lines are counted, never fatal.
OnlineEvents read_online_events(const std::filesystem::path& events_file);

}  // namespace hybridrec::report
