// The flat id table used while streaming interactions (see IdCache in reader_internal.h).
#include <cstring>

#include "data/reader_internal.h"

namespace hybridrec::detail {

namespace {

std::uint64_t hash_id(std::string_view s) {
  // FNV-1a over the (short) id, then a murmur finaliser so the low bits used for
  // the slot index are well mixed.
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

IdCache::IdCache(IdMap& map) : map_(map) {
  slots_.resize(1024);
  for (std::uint32_t i = 0; i < map_.size(); ++i) insert(hash_id(map_.id(i)), i, map_.id(i));
}

std::string_view IdCache::key_at(std::uint32_t offset) const {
  std::uint32_t length;
  std::memcpy(&length, arena_.data() + offset, sizeof length);
  return {arena_.data() + offset + sizeof length, length};
}

void IdCache::insert(std::uint64_t hash, std::uint32_t index, std::string_view id) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  std::size_t mask = slots_.size() - 1;
  std::size_t pos = hash & mask;
  while (slots_[pos].index != 0) pos = (pos + 1) & mask;
  auto offset = static_cast<std::uint32_t>(arena_.size());
  auto length = static_cast<std::uint32_t>(id.size());
  arena_.append(reinterpret_cast<const char*>(&length), sizeof length);
  arena_.append(id);
  slots_[pos] = Slot{hash, index + 1, offset};
  ++used_;
}

void IdCache::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.index == 0) continue;
    std::size_t pos = s.hash & mask;
    while (slots_[pos].index != 0) pos = (pos + 1) & mask;
    slots_[pos] = s;
  }
}

std::uint32_t IdCache::intern(std::string_view id) {
  std::uint64_t hash = hash_id(id);
  std::size_t mask = slots_.size() - 1;
  for (std::size_t pos = hash & mask; slots_[pos].index != 0; pos = (pos + 1) & mask)
    if (slots_[pos].hash == hash && key_at(slots_[pos].offset) == id) return slots_[pos].index - 1;
  std::uint32_t index = map_.intern(id);
  insert(hash, index, id);
  return index;
}

}  // namespace hybridrec::detail
