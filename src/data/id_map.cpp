#include "data/id_map.h"

#include "core/atomic_file.h"
#include "core/error.h"

namespace hybridrec {

std::uint32_t IdMap::intern(std::string_view id) {
  auto it = index_.find(id);
  if (it != index_.end()) return it->second;
  auto index = static_cast<std::uint32_t>(ids_.size());
  ids_.emplace_back(id);
  index_.emplace(ids_.back(), index);
  return index;
}

std::optional<std::uint32_t> IdMap::find(std::string_view id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void IdMap::reserve(std::size_t n) {
  ids_.reserve(n);
  index_.reserve(n);
}

void IdMap::save(const std::filesystem::path& path) const { write_json_atomic(path, nlohmann::json(ids_), -1); }

IdMap IdMap::load(const std::filesystem::path& path) {
  nlohmann::json j = read_json(path);
  if (!j.is_array()) throw DataError(path.string(), 0, "", "expected a JSON array of ids");
  IdMap map;
  map.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) throw DataError(path.string(), 0, "[" + std::to_string(i) + "]", "id is not a string");
    std::string id = j[i].get<std::string>();
    if (map.find(id)) throw DataError(path.string(), 0, "[" + std::to_string(i) + "]", "duplicate id '" + id + "'");
    map.intern(id);
  }
  return map;
}

}  // namespace hybridrec
