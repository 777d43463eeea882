// JSON lines (.json / .jsonl, optionally .gz / .xz): one object per line, such as
// the Amazon review dumps ({"reviewerID": ..., "asin": ..., "overall": 5.0,
// "unixReviewTime": 1393545600, ...}). Keys are found by data/column_mapping.h
// like the columns of a delimited file; each line is parsed by nlohmann-json.
#include <nlohmann/json.hpp>

#include "core/input_file.h"
#include "core/text.h"
#include "data/column_mapping.h"
#include "data/reader_internal.h"

namespace hybridrec {

namespace {

// A value as the text a delimited file would hold: strings as they are, numbers
// as JSON writes them, null / missing as "".
void cell_text(const nlohmann::json* value, std::string& out) {
  out.clear();
  if (!value || value->is_null()) return;
  if (value->is_string()) {
    out = value->get_ref<const std::string&>();
  } else if (value->is_number()) {
    out = value->dump();
  } else if (value->is_boolean()) {
    out = value->get<bool>() ? "true" : "false";
  } else {
    out = value->dump();  // an array or object: reported as not a number / id by the row parser
  }
}

std::vector<std::string> first_record_keys(const std::filesystem::path& file) {
  LineReader reader(file);
  std::string_view line;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object())
      throw DataError(file.filename().string(), reader.line(), "",
                      "not a JSON object (a JSON lines file holds one object per line)");
    std::vector<std::string> keys;
    for (auto it = record.begin(); it != record.end(); ++it) keys.push_back(it.key());
    return keys;
  }
  throw DataError(file.string(), 0, "", "empty data file");
}

}  // namespace

DatasetSources open_jsonl(const std::filesystem::path& file, const LoadOptions& options, RowErrorHandler& errors) {
  detail::require_nonempty_file(file, "data");
  DatasetSources src;
  src.format = "jsonl";
  src.interactions = file;
  const std::vector<std::string> keys = first_record_keys(file);
  // Keys only: a JSON record has names, not positions.
  const ColumnMap cols = resolve_columns(keys, options, file.filename().string(), 1, /*allow_positions=*/false);
  detail::configure_sources(src, cols, options);
  src.read_interactions = [file, keys, cols](InteractionSink& sink) {
    const std::string name = file.filename().string();
    LineReader reader(file);
    detail::RowParser parser(cols);
    std::array<std::string, kNumColumnRoles> text;  // the cells of the current line
    RawInteraction raw;
    std::string_view line;
    while (reader.next(line)) {
      if (trim(line).empty()) continue;
      nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object()) {
        sink.bad_row(DataError(name, reader.line(), "", "not a JSON object"), "malformed_row");
        continue;
      }
      std::size_t slot = 0;
      auto cell = [&](int column) -> std::string_view {
        // Each key is looked up once per line; the text lives until the next line.
        const std::string& key = keys[static_cast<std::size_t>(column)];
        auto it = record.find(key);
        std::string& out = text[slot++ % kNumColumnRoles];
        cell_text(it == record.end() ? nullptr : &*it, out);
        return out;
      };
      if (parser.parse(cell, name, reader.line(), sink, raw)) sink.row(raw);
    }
  };
  (void)errors;
  return src;
}

}  // namespace hybridrec
