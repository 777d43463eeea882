#pragma once
// The in-memory dataset every subsystem works on: interactions with dense
// user/item indices, the id maps that give those indices back their names, and
// optional user and item attribute tables.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/id_map.h"

namespace hybridrec {

enum class Event : std::uint8_t { View = 0, AddToCart = 1, Purchase = 2, Rating = 3 };
inline constexpr int kNumEvents = 4;

std::string_view event_name(Event e);
// Accepts the canonical names (view, add_to_cart, purchase, rating), case-insensitive.
std::optional<Event> parse_event(std::string_view text);

// 24 bytes: the 10M-interaction target is < 64 bytes per interaction in memory.
struct Interaction {
  std::int64_t timestamp = 0;  // unix seconds
  std::uint32_t user = 0;      // dense index into Dataset::users
  std::uint32_t item = 0;      // dense index into Dataset::items
  float value = std::numeric_limits<float>::quiet_NaN();  // rating, NaN when absent
  Event event = Event::View;
};

// One attribute column of users or items, indexed by dense entity index.
struct AttributeColumn {
  enum class Kind { Categorical, Numeric };
  std::string name;
  Kind kind = Kind::Categorical;
  std::vector<std::string> vocabulary;  // categorical: code -> value
  std::vector<std::int32_t> codes;      // categorical: per entity, -1 = missing
  std::vector<float> numbers;           // numeric: per entity, NaN = missing
  // Multi-valued categoricals ("Action|Comedy", MovieLens genre flags) keep every
  // value here; `codes` then holds the first one (the primary value). Empty otherwise.
  std::vector<std::vector<std::int32_t>> multi;
  std::string separator = "|";  // multi-valued: what split the values (role multi:SEP)

  bool is_categorical() const { return kind == Kind::Categorical; }
  bool is_multi() const { return !multi.empty(); }
  // Returns the code for `value`, adding it to the vocabulary when new.
  std::int32_t intern(std::string_view value);
  std::size_t size() const { return is_categorical() ? codes.size() : numbers.size(); }
};

struct AttributeTable {
  std::vector<AttributeColumn> columns;

  const AttributeColumn* find(std::string_view name) const;
  AttributeColumn* find(std::string_view name);
  bool empty() const { return columns.empty(); }
  // Grows every column to n entities; new entries are missing.
  void resize(std::size_t n);
};

struct Dataset {
  std::string path;    // where it was read from
  std::string format;  // canonical, movielens-100k, movielens-1m, movielens-latest, generic, generated
  IdMap users;
  IdMap items;
  std::vector<Interaction> interactions;
  AttributeTable user_attributes;  // sized to users.size() (or empty)
  AttributeTable item_attributes;  // sized to items.size() (or empty)
  bool explicit_ratings = false;   // values are ratings on a scale (e.g. MovieLens 1-5)
  float rating_min = 1.0f, rating_max = 5.0f;
  // False when the data has no time column: every timestamp is 0, so the
  // time-based splits and recency weighting have nothing to act on.
  bool has_timestamps = true;
  // A weight column (play counts, quantities) was read: each interaction's value
  // is its confidence, already transformed (weight_transform: raw | log1p |
  // binary) at load. See interaction_confidence().
  bool weighted = false;
  std::string weight_transform;
  // A split supplied with the data (--split files, --split-col): the part of each
  // interaction (SuppliedPart), parallel to `interactions`; empty otherwise.
  std::vector<std::uint8_t> supplied_part;

  std::size_t num_users() const { return users.size(); }
  std::size_t num_items() const { return items.size(); }
};

// The parts of a supplied split, as stored in Dataset::supplied_part.
enum class SuppliedPart : std::uint8_t { Train = 0, Validation = 1, Test = 2 };

// The confidence of one interaction as a training positive: its transformed
// weight on weighted data, 1 otherwise (multiplied by the event weight by callers).
inline float interaction_confidence(const Dataset& dataset, const Interaction& x) {
  return dataset.weighted && !std::isnan(x.value) ? x.value : 1.0f;
}

}  // namespace hybridrec
