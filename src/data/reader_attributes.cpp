// Attribute tables: reading them in any delimited layout (with link tables for
// multi-valued attributes such as tags) and turning their text columns into
// typed AttributeColumns by role.
#include <fmt/format.h>

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/text.h"
#include "data/reader_internal.h"

namespace hybridrec {

namespace {

// A text column whose distinct values are at least this share of its non-empty
// values (and more than kMinRowsForUnique rows) is an identifier-like column.
constexpr double kNearlyUniqueShare = 0.9;
constexpr std::size_t kMinRowsForUnique = 20;

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

struct Role {
  enum Kind { Categorical, Multi, Numeric, Ignore } kind = Categorical;
  std::string separator = "|";
  std::string why;  // for the note: "set", or what the inference saw
};

Role parse_role(const std::string& column, const std::string& text) {
  Role role;
  role.why = "set";
  const std::string t = to_lower(trim(text));
  if (t == "categorical") role.kind = Role::Categorical;
  else if (t == "numeric") role.kind = Role::Numeric;
  else if (t == "ignore") role.kind = Role::Ignore;
  else if (t == "multi") role.kind = Role::Multi;
  else if (t.rfind("multi:", 0) == 0 && t.size() > 6) {
    role.kind = Role::Multi;
    role.separator = std::string(trim(text)).substr(6);
  } else
    throw ConfigError("role of attribute column '" + column + "' must be categorical, multi, multi:SEP, numeric or " +
                      "ignore (got '" + text + "')");
  return role;
}

Role infer_role(const RawEntityFile& file, std::size_t c) {
  Role role;
  if (all_numeric(file, c)) {
    role.kind = Role::Numeric;
    role.why = "every value is a number";
    return role;
  }
  if (any_multi(file, c)) {
    role.kind = Role::Multi;
    role.why = "values hold '|'";
    return role;
  }
  std::unordered_set<std::string_view> distinct;
  std::size_t filled = 0;
  for (const auto& row : file.values)
    if (!row[c].empty()) ++filled, distinct.insert(row[c]);
  if (filled > kMinRowsForUnique && static_cast<double>(distinct.size()) >= kNearlyUniqueShare * filled) {
    role.kind = Role::Ignore;
    role.why = fmt::format("nearly unique text: {} distinct values in {} rows, like a name or URL; set its role to "
                           "categorical to use it",
                           distinct.size(), filled);
    return role;
  }
  role.why = fmt::format("text, {} distinct values", distinct.size());
  return role;
}

const char* role_name(Role::Kind k) {
  switch (k) {
    case Role::Categorical: return "categorical";
    case Role::Multi: return "multi";
    case Role::Numeric: return "numeric";
    case Role::Ignore: return "ignore";
  }
  return "";
}

const std::string* role_setting(const std::map<std::string, std::string>& roles, const std::string& column) {
  for (const auto& [name, role] : roles)
    if (iequals(name, column)) return &role;
  return nullptr;
}

}  // namespace

AttributeTable build_attribute_table(const RawEntityFile& file, const std::vector<std::uint32_t>& index_of_row,
                                     std::size_t n, const std::map<std::string, std::string>& roles,
                                     std::vector<std::string>* notes) {
  for (const auto& [name, role] : roles) {  // a role for a column the file lacks is a typo
    bool found = false;
    for (const auto& c : file.columns) found |= iequals(c, name);
    if (!found)
      throw ConfigError(fmt::format("a role is set for column '{}' but {} has no such column (it has: {})", name,
                                    file.path.filename().string(), fmt::join(file.columns, ", ")));
  }
  AttributeTable table;
  for (std::size_t c = 0; c < file.columns.size(); ++c) {
    const std::string* setting = role_setting(roles, file.columns[c]);
    const Role role = setting ? parse_role(file.columns[c], *setting) : infer_role(file, c);
    if (notes)
      notes->push_back(fmt::format("{}: column '{}' is {}{}", file.path.filename().string(), file.columns[c],
                                   role_name(role.kind), role.why.empty() ? "" : " (" + role.why + ")"));
    if (role.kind == Role::Ignore) continue;
    AttributeColumn column;
    column.name = file.columns[c];
    if (role.kind == Role::Numeric) {
      column.kind = AttributeColumn::Kind::Numeric;
      column.numbers.assign(n, std::numeric_limits<float>::quiet_NaN());
      for (std::size_t r = 0; r < file.values.size(); ++r) {
        const std::string& text = file.values[r][c];
        if (text.empty()) continue;
        auto v = parse_double(text);
        if (!v || !std::isfinite(*v))
          throw DataError(file.path.filename().string(), file.lines[r], file.columns[c],
                          "'" + text + "' is not a number (the column's role is numeric)");
        column.numbers[index_of_row[r]] = static_cast<float>(*v);
      }
    } else {
      column.kind = AttributeColumn::Kind::Categorical;
      column.codes.assign(n, -1);
      const bool multi = role.kind == Role::Multi;
      if (multi) {
        column.multi.resize(n);
        column.separator = role.separator;
      }
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
          std::size_t bar = value.find(role.separator, start);
          std::string_view part = trim(value.substr(start, bar == std::string_view::npos ? bar : bar - start));
          if (!part.empty()) column.multi[entity].push_back(intern(part));
          if (bar == std::string_view::npos) break;
          start = bar + role.separator.size();
        }
        if (!column.multi[entity].empty()) column.codes[entity] = column.multi[entity].front();
      }
    }
    table.columns.push_back(std::move(column));
  }
  return table;
}

RawEntityFile read_attribute_file(const std::filesystem::path& path, const std::string& key, RowErrorHandler& errors) {
  detail::require_nonempty_file(path, "attribute");
  CsvOptions csv;
  csv.delimiter = detect_delimiter(path);
  std::string key_name = key;
  if (key_name.empty() || parse_int64(key_name)) {  // the first column, or a position: the header's name there
    CsvReader probe(path, csv);
    CsvRecord header;
    if (!probe.next(header)) throw DataError(path.string(), 0, "", "empty attribute file");
    const std::size_t position = key_name.empty() ? 0 : static_cast<std::size_t>(*parse_int64(key_name) - 1);
    if (position >= header.size())
      throw DataError(probe.file_name(), header.line, key, "the header has only " + std::to_string(header.size()) +
                                                               " columns");
    key_name = std::string(trim(header[position]));
  }
  return detail::read_entity_csv(path, key_name, csv, errors);
}

void add_link_tables(RawEntityFile& file, const std::vector<std::filesystem::path>& links, RowErrorHandler& errors) {
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t r = 0; r < file.ids.size(); ++r) row_of.emplace(file.ids[r], r);
  for (const auto& link : links) {
    detail::require_nonempty_file(link, "link");
    CsvOptions csv;
    csv.delimiter = detect_delimiter(link);
    CsvReader reader(link, csv);
    CsvRecord record;
    if (!reader.next(record)) continue;
    // A header names the value column; without one (a number in the first row) the
    // column is named after the file ("tags.dat" -> "tags").
    const bool header = record.size() >= 2 && !parse_double(trim(record[0]));
    std::string name = header ? std::string(trim(record[1])) : link.stem().string();
    for (const auto& existing : file.columns)
      if (iequals(existing, name)) name = link.stem().string() + "_" + name;
    file.columns.push_back(name);
    for (auto& row : file.values) row.emplace_back();
    const std::size_t column = file.columns.size() - 1;
    auto add = [&](const CsvRecord& r) {
      if (!detail::check_record(errors, reader, r, 2, /*allow_more=*/true)) return;
      const std::string id(trim(r[0]));
      const std::string value(trim(r[1]));
      if (id.empty() || value.empty()) return;
      auto [it, inserted] = row_of.emplace(id, file.ids.size());
      if (inserted) {
        file.ids.push_back(id);
        file.lines.push_back(r.line);
        file.values.emplace_back(file.columns.size());
      }
      std::string& cell = file.values[it->second][column];
      if (!cell.empty()) cell += '|';
      cell += value;
    };
    if (!header) add(record);
    while (reader.next(record)) add(record);
  }
}

}  // namespace hybridrec
