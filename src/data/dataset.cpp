#include "data/dataset.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace hybridrec {

namespace {
constexpr std::array<std::string_view, kNumEvents> kEventNames{"view", "add_to_cart", "purchase", "rating"};
}

std::string_view event_name(Event e) { return kEventNames[static_cast<int>(e)]; }

std::optional<Event> parse_event(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (int i = 0; i < kNumEvents; ++i)
    if (kEventNames[i] == lower) return static_cast<Event>(i);
  return std::nullopt;
}

std::int32_t AttributeColumn::intern(std::string_view value) {
  for (std::size_t i = 0; i < vocabulary.size(); ++i)
    if (vocabulary[i] == value) return static_cast<std::int32_t>(i);
  vocabulary.emplace_back(value);
  return static_cast<std::int32_t>(vocabulary.size() - 1);
}

const AttributeColumn* AttributeTable::find(std::string_view name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

AttributeColumn* AttributeTable::find(std::string_view name) {
  for (auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

void AttributeTable::resize(std::size_t n) {
  for (auto& c : columns) {
    if (c.is_categorical()) {
      c.codes.resize(n, -1);
      if (c.is_multi()) c.multi.resize(n);
    } else {
      c.numbers.resize(n, std::numeric_limits<float>::quiet_NaN());
    }
  }
}

}  // namespace hybridrec
