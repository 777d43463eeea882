#pragma once
// Maps arbitrary string ids to dense indices 0..n-1 and back. Saved next to a
// model (user_id_map / item_id_map) so serving resolves ids exactly as training did.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hybridrec {

class IdMap {
 public:
  // Returns the index of `id`, assigning the next one when it is new.
  std::uint32_t intern(std::string_view id);
  std::optional<std::uint32_t> find(std::string_view id) const;
  const std::string& id(std::uint32_t index) const { return ids_[index]; }
  std::size_t size() const { return ids_.size(); }
  const std::vector<std::string>& ids() const { return ids_; }
  void reserve(std::size_t n);

  // JSON array of ids in index order; written atomically.
  void save(const std::filesystem::path& path) const;
  static IdMap load(const std::filesystem::path& path);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> ids_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

}  // namespace hybridrec
