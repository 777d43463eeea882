#pragma once
// What each user did recently, kept by the server (issue #19): clicks,
// add-to-carts and purchases from POST /v1/events and POST /v1/users/{id}/history,
// the newest `max_per_user` per user. Durable through the event log
// (serving/events.jsonl): the server writes every event there before it is added
// here, and a restart rebuilds the history by replaying the log. One history is
// shared by every model being served; each model maps the item ids to its own
// indices when it scores.
//
// Each user's history carries a version that grows with every event: a ranking
// cached for a user is valid only for the version it was computed from, so a
// user's event invalidates their cached list without a race against a request
// that computed it from the history before the event.
#include <array>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/online_metrics.h"

namespace hybridrec::serve {

struct OnlineEvent {
  std::string item_id;
  FeedbackType type = FeedbackType::click;
  std::int64_t timestamp = 0;  // unix seconds
};

// The event types that enter a history (an impression is not an interaction).
bool enters_history(FeedbackType type);

class OnlineHistory {
 public:
  explicit OnlineHistory(std::size_t max_per_user) : max_per_user_(max_per_user) {}

  bool enabled() const { return max_per_user_ > 0; }
  std::size_t max_per_user() const { return max_per_user_; }
  // Adds one event (a type that does not enter a history is ignored); the oldest
  // falls out beyond max_per_user.
  void add(const std::string& user_id, const OnlineEvent& event);

  struct Snapshot {
    std::vector<OnlineEvent> events;  // oldest first
    std::uint64_t version = 0;        // 0: no event ever
  };
  Snapshot get(const std::string& user_id) const;
  std::size_t users() const;

  // Rebuilds from an event log written by the server: every record with a
  // user_id, an item_id, a history type and a timestamp. Returns the records added.
  std::size_t replay(const std::filesystem::path& events_file);
  // The event of a log record, if it belongs to a history.
  static std::optional<std::pair<std::string, OnlineEvent>> from_record(const nlohmann::json& record);

 private:
  struct PerUser {
    std::deque<OnlineEvent> events;
    std::uint64_t version = 0;
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, PerUser> users;
  };
  Shard& shard(const std::string& user_id) { return shards_[std::hash<std::string>{}(user_id) % kShards]; }
  const Shard& shard(const std::string& user_id) const { return shards_[std::hash<std::string>{}(user_id) % kShards]; }

  std::size_t max_per_user_;
  std::array<Shard, kShards> shards_;
};

}  // namespace hybridrec::serve
