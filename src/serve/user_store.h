#pragma once
// Attributes of users the models may not know yet (POST /v1/users/{id}), used by
// the cold-start path. Persisted in the workspace as an append-only log of JSON
// lines (serving/users.jsonl, last write per user wins), so a restart keeps them
// and a crash loses at most a torn last line.
#include <filesystem>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "data/features.h"
#include "serve/durable_log.h"

namespace hybridrec::serve {

class UserStore {
 public:
  explicit UserStore(const std::filesystem::path& file);  // replays the file
  // Stores (replacing) a user's attributes; durable when it returns.
  void put(const std::string& user_id, const RawAttributes& attributes);
  std::optional<RawAttributes> get(const std::string& user_id) const;
  std::size_t size() const;

 private:
  DurableLog log_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, RawAttributes> users_;
};

}  // namespace hybridrec::serve
