#include "serve/user_store.h"

#include <mutex>

namespace hybridrec::serve {

UserStore::UserStore(const std::filesystem::path& file) : log_(file) {
  DurableLog::read(file, [&](const nlohmann::json& record) {
    if (!record.contains("user_id") || !record["user_id"].is_string() || !record.contains("attributes")) return;
    RawAttributes attributes;
    for (const auto& [name, value] : record["attributes"].items())
      if (value.is_string()) attributes[name] = value.get<std::string>();
    users_[record["user_id"].get<std::string>()] = std::move(attributes);
  });
}

void UserStore::put(const std::string& user_id, const RawAttributes& attributes) {
  const nlohmann::json record = {{"user_id", user_id}, {"attributes", attributes}};
  log_.append(record);
  std::unique_lock lock(mutex_);
  users_[user_id] = attributes;
}

std::optional<RawAttributes> UserStore::get(const std::string& user_id) const {
  std::shared_lock lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::size_t UserStore::size() const {
  std::shared_lock lock(mutex_);
  return users_.size();
}

}  // namespace hybridrec::serve
