#include "data/column_mapping.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/csv.h"
#include "core/error.h"
#include "core/text.h"

namespace hybridrec {

namespace {

constexpr ColumnRole kRoles[] = {ColumnRole::User,   ColumnRole::Item,  ColumnRole::Time, ColumnRole::Rating,
                                 ColumnRole::Weight, ColumnRole::Event, ColumnRole::Split};

int role_index(ColumnRole role) { return static_cast<int>(role); }

// The role a name in LoadOptions::columns stands for, or -1 (a column not used).
int role_of_position_name(std::string_view name) {
  const std::string n = to_lower(trim(name));
  if (n == "user" || n == "user_id") return role_index(ColumnRole::User);
  if (n == "item" || n == "item_id") return role_index(ColumnRole::Item);
  if (n == "time" || n == "timestamp" || n == "date") return role_index(ColumnRole::Time);
  if (n == "rating" || n == "value") return role_index(ColumnRole::Rating);
  if (n == "weight" || n == "count") return role_index(ColumnRole::Weight);
  if (n == "event") return role_index(ColumnRole::Event);
  if (n == "split") return role_index(ColumnRole::Split);
  return -1;
}

std::optional<int> as_position(std::string_view text) {
  auto n = parse_int64(trim(text));
  if (!n || *n < 1 || *n > 100000) return std::nullopt;
  return static_cast<int>(*n - 1);
}

bool any_role_named(const LoadOptions& o) {
  for (ColumnRole r : kRoles)
    if (!column_option(o, r).empty()) return true;
  return false;
}

// Without an explicit setting: no header when the columns are named by position,
// or when the first row has neither a user nor an item name and is all numbers.
bool has_header(const std::vector<std::string>& first, const LoadOptions& o) {
  if (o.header) return *o.header;
  if (!o.columns.empty()) return false;
  bool by_position = false;
  for (ColumnRole r : kRoles) {
    const std::string& option = column_option(o, r);
    if (option.empty()) continue;
    // A number is a position (the first row of a headerless file is often all numbers).
    if (as_position(option)) by_position = true;
    else if (find_column(first, option) >= 0) return true;
  }
  if (by_position) return false;
  for (ColumnRole r : {ColumnRole::User, ColumnRole::Item})
    for (auto alias : column_aliases(r))
      if (find_column(first, alias) >= 0) return true;
  for (const auto& field : first)
    if (!parse_double(trim(field))) return true;
  return false;
}

std::string not_found_message(ColumnRole role, const std::string& asked, const std::vector<std::string>& first,
                              bool header, bool allow_positions) {
  std::string what = asked.empty() ? fmt::format("no {} column found", role_name(role))
                                   : fmt::format("{} column '{}' not found", role_name(role), asked);
  std::string found = header ? fmt::format("the header has: {}", fmt::join(first, ", "))
                             : fmt::format("the file has no header and {} columns", first.size());
  std::string how = fmt::format("name it with {} NAME (config data.columns.{})", flag_of(role), role_name(role));
  if (allow_positions)
    how += fmt::format(
        ", or for a file without a header by position: {} N (1 = first column) or "
        "--columns user,item,-,rating,time (one name per column, '-' for a column not used)",
        flag_of(role));
  return fmt::format("{}; {}; accepted {} names: {}; {}", what, found, role_name(role),
                     fmt::join(column_aliases(role), ", "), how);
}

}  // namespace

std::string_view role_name(ColumnRole role) {
  static constexpr std::string_view names[] = {"user", "item", "time", "rating", "weight", "event", "split"};
  return names[role_index(role)];
}

std::string flag_of(ColumnRole role) { return "--" + std::string(role_name(role)) + "-col"; }

const std::vector<std::string_view>& column_aliases(ColumnRole role) {
  static const std::vector<std::string_view> aliases[] = {
      {"user_id", "user", "userid", "uid", "reviewerid", "customer_id", "customerid", "visitorid", "client_id",
       "member_id"},
      {"item_id", "item", "itemid", "iid", "movieid", "movie_id", "artistid", "artist_id", "asin", "product_id",
       "productid", "track_id", "song_id", "sku", "business_id"},
      {"timestamp", "time", "ts", "date", "datetime", "unixreviewtime", "event_time", "created_at"},
      {"value", "rating", "score", "overall", "stars"},
      {"weight", "count", "plays", "play_count", "playcount", "quantity", "qty"},
      {"event", "event_type", "action"},
      {"split", "part"},
  };
  return aliases[role_index(role)];
}

const std::string& column_option(const LoadOptions& o, ColumnRole role) {
  return column_option(const_cast<LoadOptions&>(o), role);  // one switch for both
}

std::string& column_option(LoadOptions& o, ColumnRole role) {
  switch (role) {
    case ColumnRole::User: return o.user_column;
    case ColumnRole::Item: return o.item_column;
    case ColumnRole::Time: return o.timestamp_column;
    case ColumnRole::Rating: return o.value_column;
    case ColumnRole::Weight: return o.weight_column;
    case ColumnRole::Event: return o.event_column;
    case ColumnRole::Split: return o.split_column;
  }
  return o.user_column;
}

ColumnMap resolve_columns(const std::vector<std::string>& first, const LoadOptions& o, const std::string& file,
                          std::size_t line, bool allow_positions) {
  ColumnMap map;
  map.width = first.size();
  map.header = allow_positions ? has_header(first, o) : true;
  if (!column_option(o, ColumnRole::Rating).empty() && !column_option(o, ColumnRole::Weight).empty())
    throw ConfigError("a file has a rating column or a weight column, not both (got " + flag_of(ColumnRole::Rating) +
                      " " + o.value_column + " and " + flag_of(ColumnRole::Weight) + " " + o.weight_column +
                      "): a weight (play count, quantity) is each positive's confidence, a rating is an explicit score");
  const bool named_any = any_role_named(o) || !o.columns.empty();
  auto set = [&](ColumnRole role, int index) {
    map.index[role_index(role)] = index;
    map.name[role_index(role)] = map.header ? first[static_cast<std::size_t>(index)]
                                            : "column " + std::to_string(index + 1);
  };
  for (ColumnRole role : kRoles) {
    const std::string& asked = column_option(o, role);
    if (!asked.empty()) {
      int index = map.header ? find_column(first, asked) : -1;
      if (index < 0 && allow_positions)
        if (auto pos = as_position(asked); pos && *pos < static_cast<int>(first.size())) index = *pos;
      if (index < 0)
        throw DataError(file, line, asked, not_found_message(role, asked, first, map.header, allow_positions));
      set(role, index);
      continue;
    }
    if (!map.header) {
      for (std::size_t c = 0; c < o.columns.size() && c < first.size(); ++c)
        if (role_of_position_name(o.columns[c]) == role_index(role)) set(role, static_cast<int>(c));
      // A headerless file with nothing named: the MovieLens u.data order
      // user, item, rating, time (as many as there are columns).
      static constexpr int kDefaultOrder[] = {0, 1, 3, 2, -1, -1, -1};
      const int fallback = kDefaultOrder[role_index(role)];
      if (!named_any && fallback >= 0 && fallback < static_cast<int>(first.size())) set(role, fallback);
      continue;
    }
    if (role == ColumnRole::Split) continue;  // a split column is only used when asked for
    // A weight asked for replaces a rating found by its name, and the other way round.
    if (role == ColumnRole::Rating && !o.weight_column.empty()) continue;
    if (role == ColumnRole::Weight && (!o.value_column.empty() || map.has(ColumnRole::Rating))) continue;
    for (auto alias : column_aliases(role))
      if (int index = find_column(first, alias); index >= 0) {
        set(role, index);
        break;
      }
  }
  for (ColumnRole role : {ColumnRole::User, ColumnRole::Item})
    if (!map.has(role))
      throw DataError(file, line, std::string(role_name(role)),
                      not_found_message(role, "", first, map.header, allow_positions));
  return map;
}

}  // namespace hybridrec
