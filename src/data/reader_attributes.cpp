// Turns the text columns of users.csv / items.csv (or decoded MovieLens files)
// into typed AttributeColumns.
#include <cmath>
#include <unordered_map>

#include "core/text.h"
#include "data/readers.h"

namespace hybridrec {

namespace {

bool all_numeric(const RawEntityFile& file, std::size_t column) {
  bool any = false;
  for (const auto& row : file.values) {
    const std::string& v = row[column];
    if (v.empty()) continue;
    if (!parse_double(v)) return false;
    any = true;
  }
  return any;
}

bool any_multi(const RawEntityFile& file, std::size_t column) {
  for (const auto& row : file.values)
    if (row[column].find('|') != std::string::npos) return true;
  return false;
}

// AttributeColumn::intern is a linear scan (fine for small vocabularies); a
// catalogue column such as brand can have thousands of values, so index them here.
struct Interner {
  AttributeColumn& column;
  std::unordered_map<std::string, std::int32_t> index;
  std::int32_t operator()(std::string_view value) {
    auto it = index.find(std::string(value));
    if (it != index.end()) return it->second;
    auto code = static_cast<std::int32_t>(column.vocabulary.size());
    column.vocabulary.emplace_back(value);
    index.emplace(std::string(value), code);
    return code;
  }
};

}  // namespace

AttributeTable build_attribute_table(const RawEntityFile& file, const std::vector<std::uint32_t>& index_of_row,
                                     std::size_t n) {
  AttributeTable table;
  for (std::size_t c = 0; c < file.columns.size(); ++c) {
    AttributeColumn column;
    column.name = file.columns[c];
    if (all_numeric(file, c)) {
      column.kind = AttributeColumn::Kind::Numeric;
      column.numbers.assign(n, std::numeric_limits<float>::quiet_NaN());
      for (std::size_t r = 0; r < file.values.size(); ++r)
        if (auto v = parse_double(file.values[r][c])) column.numbers[index_of_row[r]] = static_cast<float>(*v);
    } else {
      column.kind = AttributeColumn::Kind::Categorical;
      column.codes.assign(n, -1);
      bool multi = any_multi(file, c);
      if (multi) column.multi.resize(n);
      Interner intern{column, {}};
      for (std::size_t r = 0; r < file.values.size(); ++r) {
        std::string_view value = file.values[r][c];
        if (value.empty()) continue;
        std::uint32_t entity = index_of_row[r];
        if (!multi) {
          column.codes[entity] = intern(value);
          continue;
        }
        // "Action|Comedy": every value kept, the first is the primary code.
        std::size_t start = 0;
        while (start <= value.size()) {
          std::size_t bar = value.find('|', start);
          std::string_view part = trim(value.substr(start, bar == std::string_view::npos ? bar : bar - start));
          if (!part.empty()) column.multi[entity].push_back(intern(part));
          if (bar == std::string_view::npos) break;
          start = bar + 1;
        }
        if (!column.multi[entity].empty()) column.codes[entity] = column.multi[entity].front();
      }
    }
    table.columns.push_back(std::move(column));
  }
  return table;
}

}  // namespace hybridrec
