#include "serve/online_history.h"

#include <mutex>

#include "serve/durable_log.h"

namespace hybridrec::serve {

bool enters_history(FeedbackType type) { return type != FeedbackType::impression; }

void OnlineHistory::add(const std::string& user_id, const OnlineEvent& event) {
  if (!enabled() || !enters_history(event.type)) return;
  Shard& s = shard(user_id);
  std::unique_lock lock(s.mutex);
  PerUser& user = s.users[user_id];
  user.events.push_back(event);
  while (user.events.size() > max_per_user_) user.events.pop_front();
  ++user.version;
}

OnlineHistory::Snapshot OnlineHistory::get(const std::string& user_id) const {
  Snapshot out;
  if (!enabled()) return out;
  const Shard& s = shard(user_id);
  std::shared_lock lock(s.mutex);
  auto it = s.users.find(user_id);
  if (it == s.users.end()) return out;
  out.events.assign(it->second.events.begin(), it->second.events.end());
  out.version = it->second.version;
  return out;
}

std::size_t OnlineHistory::users() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::shared_lock lock(s.mutex);
    n += s.users.size();
  }
  return n;
}

std::optional<std::pair<std::string, OnlineEvent>> OnlineHistory::from_record(const nlohmann::json& record) {
  auto string_field = [&](const char* name) -> const std::string* {
    auto it = record.find(name);
    return it != record.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string *user = string_field("user_id"), *item = string_field("item_id"), *type_name = string_field("type");
  auto ts = record.find("timestamp");
  if (!user || !item || !type_name || ts == record.end() || !ts->is_number()) return std::nullopt;
  auto type = parse_feedback_type(*type_name);
  if (!type || !enters_history(*type)) return std::nullopt;
  return std::make_pair(*user, OnlineEvent{*item, *type, ts->get<std::int64_t>()});
}

std::size_t OnlineHistory::replay(const std::filesystem::path& events_file) {
  std::size_t added = 0;
  if (!enabled()) return 0;
  DurableLog::read(events_file, [&](const nlohmann::json& record) {
    if (auto event = from_record(record)) {
      add(event->first, event->second);
      ++added;
    }
  });
  return added;
}

}  // namespace hybridrec::serve
