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

std::string_view IdCache::key_of(const Slot& slot) const {
  if (slot.length != kLong) return {slot.key, slot.length};
  std::uint32_t offset, length;
  std::memcpy(&offset, slot.key, sizeof offset);
  std::memcpy(&length, arena_.data() + offset, sizeof length);
  return {arena_.data() + offset + sizeof length, length};
}

bool IdCache::matches(const Slot& slot, std::string_view id, std::uint32_t tag) const {
  if (id.size() <= kInline) return slot.length == id.size() && std::memcmp(slot.key, id.data(), id.size()) == 0;
  if (slot.length != kLong) return false;
  std::uint32_t slot_tag;
  std::memcpy(&slot_tag, slot.key + 4, sizeof slot_tag);
  return slot_tag == tag && key_of(slot) == id;
}

void IdCache::place(std::uint64_t hash, const Slot& slot) {
  std::size_t mask = slots_.size() - 1;
  std::size_t pos = hash & mask;
  while (slots_[pos].index != 0) pos = (pos + 1) & mask;
  slots_[pos] = slot;
}

void IdCache::insert(std::uint64_t hash, std::uint32_t index, std::string_view id) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  Slot slot;
  slot.index = index + 1;
  if (id.size() <= kInline) {
    slot.length = static_cast<std::uint8_t>(id.size());
    std::memcpy(slot.key, id.data(), id.size());
  } else {
    slot.length = kLong;
    auto offset = static_cast<std::uint32_t>(arena_.size());
    auto length = static_cast<std::uint32_t>(id.size());
    auto tag = static_cast<std::uint32_t>(hash >> 32);
    arena_.append(reinterpret_cast<const char*>(&length), sizeof length);
    arena_.append(id);
    std::memcpy(slot.key, &offset, sizeof offset);
    std::memcpy(slot.key + 4, &tag, sizeof tag);
  }
  place(hash, slot);
  ++used_;
}

void IdCache::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  for (const Slot& s : old)
    if (s.index != 0) place(hash_id(key_of(s)), s);
}

std::uint32_t IdCache::intern(std::string_view id) {
  std::uint64_t hash = hash_id(id);
  auto tag = static_cast<std::uint32_t>(hash >> 32);
  std::size_t mask = slots_.size() - 1;
  for (std::size_t pos = hash & mask; slots_[pos].index != 0; pos = (pos + 1) & mask)
    if (matches(slots_[pos], id, tag)) return slots_[pos].index - 1;
  std::uint32_t index = map_.intern(id);
  insert(hash, index, id);
  return index;
}

}  // namespace hybridrec::detail
