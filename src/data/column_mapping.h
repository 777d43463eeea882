#pragma once
// Which column of a delimited file (or which key of a JSON lines record) holds
// the user, item, time, rating, weight, event and supplied-split part. Shared by
// the generic and JSON lines readers so both accept the same names and flags.
//
// A column is chosen by, in order: the option (--user-col NAME, data.columns.user)
// matched case-insensitively against the header; the same option as a 1-based
// position when the file has no header; the role's name in LoadOptions::columns
// ("user,item,-,-,rating,time"); or, when nothing was asked for, the first of
// the role's accepted names (column_aliases) that the header has.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "data/readers.h"

namespace hybridrec {

enum class ColumnRole { User, Item, Time, Rating, Weight, Event, Split };
inline constexpr int kNumColumnRoles = 7;

// "user", "item", "time", "rating", "weight", "event", "split".
std::string_view role_name(ColumnRole role);
// The flag that names the role's column, e.g. "--user-col".
std::string flag_of(ColumnRole role);
// Accepted header names, lower case, most common first.
const std::vector<std::string_view>& column_aliases(ColumnRole role);
// The option of `options` that names the role's column.
const std::string& column_option(const LoadOptions& options, ColumnRole role);
std::string& column_option(LoadOptions& options, ColumnRole role);

struct ColumnMap {
  std::array<int, kNumColumnRoles> index{-1, -1, -1, -1, -1, -1, -1};  // -1 = absent
  std::array<std::string, kNumColumnRoles> name;  // header name, or "column N" (1-based)
  bool header = true;                             // the first row names the columns
  std::size_t width = 0;                          // fields per row

  int operator[](ColumnRole role) const { return index[static_cast<int>(role)]; }
  bool has(ColumnRole role) const { return (*this)[role] >= 0; }
  const std::string& name_of(ColumnRole role) const { return name[static_cast<int>(role)]; }
};

// Resolves every role against the first row of a file. `first_row` is the
// header when there is one; `allow_positions` is false for JSON lines (keys
// only). Throws DataError(file, line, field) when the user or item column
// cannot be found, or a column that was asked for is absent, listing the
// columns found and the accepted names and saying how to name one.
ColumnMap resolve_columns(const std::vector<std::string>& first_row, const LoadOptions& options,
                          const std::string& file, std::size_t line, bool allow_positions = true);

}  // namespace hybridrec
