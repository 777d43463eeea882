// A single delimited file with user/item (and optionally event, value,
// timestamp) columns chosen by LoadOptions; the delimiter is detected when not given.
#include "core/text.h"
#include "data/reader_internal.h"

namespace hybridrec {

namespace {

struct GenericColumns {
  int user = -1, item = -1, event = -1, value = -1, timestamp = -1;
  std::string user_name, item_name, event_name, value_name, timestamp_name;
};

// The option's name first; when it is the default and absent, well-known aliases.
int resolve(const std::vector<std::string>& header, const std::string& wanted, std::initializer_list<const char*> aliases,
            std::string& found_name) {
  int index = find_column(header, wanted);
  if (index < 0 && aliases.size() > 0 && wanted == *aliases.begin())
    for (const char* alias : aliases)
      if ((index = find_column(header, alias)) >= 0) break;
  if (index >= 0) found_name = header[index];
  return index;
}

GenericColumns columns_from_header(const std::vector<std::string>& header, const LoadOptions& o) {
  GenericColumns c;
  c.user = resolve(header, o.user_column, {"user_id", "user", "userId", "customer_id", "visitorid"}, c.user_name);
  c.item = resolve(header, o.item_column, {"item_id", "item", "movieId", "product_id", "itemid"}, c.item_name);
  c.event = resolve(header, o.event_column, {"event", "event_type", "action"}, c.event_name);
  c.value = resolve(header, o.value_column, {"value", "rating", "score"}, c.value_name);
  c.timestamp = resolve(header, o.timestamp_column, {"timestamp", "time", "ts", "date", "datetime"}, c.timestamp_name);
  return c;
}

// Without a header, columns are 0-based indices; non-numeric (default) names
// mean the MovieLens order user, item, value, timestamp.
GenericColumns columns_by_index(std::size_t fields, const LoadOptions& o) {
  const LoadOptions defaults;
  // A number picks that column; the default name picks the MovieLens position;
  // any other name (e.g. "none") means the column is absent.
  auto pick = [&](const std::string& option, const std::string& default_name, int fallback, std::string& name) {
    auto index = parse_int64(option);
    int chosen = index ? static_cast<int>(*index) : option == default_name ? fallback : -1;
    if (chosen >= static_cast<int>(fields)) chosen = -1;
    name = "column " + std::to_string(chosen);
    return chosen;
  };
  GenericColumns c;
  c.user = pick(o.user_column, defaults.user_column, 0, c.user_name);
  c.item = pick(o.item_column, defaults.item_column, 1, c.item_name);
  c.value = pick(o.value_column, defaults.value_column, 2, c.value_name);
  c.timestamp = pick(o.timestamp_column, defaults.timestamp_column, 3, c.timestamp_name);
  c.event = pick(o.event_column, defaults.event_column, -1, c.event_name);
  return c;
}

}  // namespace

DatasetSources open_generic(const std::filesystem::path& file, const LoadOptions& options, RowErrorHandler& errors) {
  detail::require_nonempty_file(file, "data");
  DatasetSources src;
  src.format = "generic";
  src.interactions = file;
  CsvOptions csv;
  csv.delimiter = options.separator.empty() ? detect_delimiter(file) : options.separator;
  if (csv.delimiter == "\\t" || csv.delimiter == "tab") csv.delimiter = "\t";

  // Resolve the columns now so a wrong name fails before any row is read.
  CsvReader probe(file, csv);
  CsvRecord first;
  if (!probe.next(first)) throw DataError(file.string(), 0, "", "empty data file");
  GenericColumns cols =
      options.header ? columns_from_header(first.to_strings(), options) : columns_by_index(first.size(), options);
  if (cols.user < 0)
    throw DataError(probe.file_name(), first.line, options.user_column, "user column not found in header");
  if (cols.item < 0)
    throw DataError(probe.file_name(), first.line, options.item_column, "item column not found in header");
  const std::size_t width = first.size();

  // Without an event column every row is a rating when there are values, a view otherwise.
  Event default_event = cols.value >= 0 ? Event::Rating : Event::View;
  src.explicit_ratings = cols.event < 0 && cols.value >= 0;
  src.rating_min = options.rating_min.value_or(1.0f);
  src.rating_max = options.rating_max.value_or(5.0f);
  src.read_interactions = [file, csv, cols, width, default_event, header = options.header](InteractionSink& sink) {
    CsvReader reader(file, csv);
    CsvRecord record;
    if (header) reader.next(record);
    detail::InteractionCells cells;
    cells.has_event = cols.event >= 0;
    cells.has_value = cols.value >= 0;
    cells.has_timestamp = cols.timestamp >= 0;
    cells.user_field = cols.user_name;
    cells.item_field = cols.item_name;
    cells.event_field = cols.event_name;
    cells.value_field = cols.value_name;
    cells.timestamp_field = cols.timestamp_name;
    RawInteraction raw;
    while (reader.next(record)) {
      if (!detail::check_record(sink, reader, record, width)) continue;
      cells.user = record[cols.user];
      cells.item = record[cols.item];
      if (cells.has_event) cells.event = record[cols.event];
      if (cells.has_value) cells.value = record[cols.value];
      if (cells.has_timestamp) cells.timestamp = record[cols.timestamp];
      if (detail::parse_interaction(cells, default_event, reader, record.line, sink, raw)) sink.row(raw);
    }
  };
  (void)errors;
  return src;
}

}  // namespace hybridrec
