#include "data/item_names.h"

#include <algorithm>
#include <array>

#include "core/csv.h"
#include "core/text.h"

namespace hybridrec {

namespace {

// Names are for display: a bad row loses its name, nothing more.
class IgnoreBadRows : public RowErrorHandler {
 public:
  void bad_row(const DataError&, std::string_view) override {}
};

// Column `name_field` of every record keyed by column 0 (MovieLens movie files).
std::unordered_map<std::string, std::string> read_titles(const std::filesystem::path& file, CsvOptions csv,
                                                         bool header) {
  std::unordered_map<std::string, std::string> names;
  if (!std::filesystem::exists(file)) return names;
  CsvReader reader(file, csv);
  CsvRecord record;
  if (header) reader.next(record);
  while (reader.next(record))
    if (record.size() >= 2) names.emplace(std::string(trim(record[0])), std::string(trim(record[1])));
  return names;
}

CsvOptions unquoted(std::string delimiter, CsvOptions::Encoding encoding = CsvOptions::Encoding::Auto) {
  CsvOptions o;
  o.delimiter = std::move(delimiter);
  o.quoting = false;  // MovieLens titles contain bare quotes
  o.encoding = encoding;
  return o;
}

}  // namespace

std::unordered_map<std::string, std::string> read_item_names(const std::filesystem::path& path,
                                                             const LoadOptions& options) {
  const std::string format = options.format == "auto" ? detect_format(path) : options.format;
  if (options.items_file.empty()) {  // a layout's own movie file, unless an item table replaces it
    if (format == "movielens-100k") return read_titles(path / "u.item", unquoted("|", CsvOptions::Encoding::Latin1), false);
    if (format == "movielens-1m") return read_titles(path / "movies.dat", unquoted("::"), false);
    if (format == "movielens-latest") return read_titles(path / "movies.csv", CsvOptions{}, true);
  }
  IgnoreBadRows errors;
  const DatasetSources sources = open_sources(path, options, errors);
  std::unordered_map<std::string, std::string> names;
  if (!sources.items) return names;
  static constexpr std::array<std::string_view, 6> kNameColumns{"name",         "title",         "item_name",
                                                                "product_name", "product_title", "movie_title"};
  const auto& table = *sources.items;
  for (std::string_view wanted : kNameColumns) {
    const auto column = std::find_if(table.columns.begin(), table.columns.end(),
                                     [&](const std::string& c) { return to_lower(c) == wanted; });
    if (column == table.columns.end()) continue;
    const auto j = static_cast<std::size_t>(column - table.columns.begin());
    for (std::size_t r = 0; r < table.ids.size(); ++r)
      if (j < table.values[r].size() && !table.values[r][j].empty()) names.emplace(table.ids[r], table.values[r][j]);
    break;
  }
  return names;
}

}  // namespace hybridrec
