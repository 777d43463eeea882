// The canonical layout: a folder with interactions.csv (user_id, item_id, event,
// value, timestamp) and optional users.csv / items.csv attribute files.
#include "core/text.h"
#include "data/reader_internal.h"

namespace hybridrec {

namespace {

struct InteractionColumns {
  int user = -1, item = -1, event = -1, value = -1, timestamp = -1;
};

InteractionColumns locate_columns(const std::vector<std::string>& header, const CsvReader& reader, std::size_t line) {
  InteractionColumns cols;
  cols.user = find_column(header, "user_id");
  cols.item = find_column(header, "item_id");
  cols.event = find_column(header, "event");
  cols.value = find_column(header, "value");
  if (cols.value < 0) cols.value = find_column(header, "rating");
  cols.timestamp = find_column(header, "timestamp");
  for (auto [index, name] : {std::pair{cols.user, "user_id"}, {cols.item, "item_id"}, {cols.event, "event"},
                             {cols.timestamp, "timestamp"}})
    if (index < 0)
      throw DataError(reader.file_name(), line, name,
                      "missing column in header (expected user_id,item_id,event,value,timestamp)");
  return cols;
}

void read_canonical_interactions(const std::filesystem::path& file, InteractionSink& sink) {
  CsvReader reader(file);
  CsvRecord record;
  if (!reader.next(record)) throw DataError(file.string(), 0, "", "empty interactions file");
  std::vector<std::string> header = record.to_strings();
  InteractionColumns cols = locate_columns(header, reader, record.line);
  detail::InteractionCells cells;
  cells.has_event = true;
  cells.has_value = cols.value >= 0;
  RawInteraction raw;
  bool any = false;
  while (reader.next(record)) {
    any = true;
    if (!detail::check_record(sink, reader, record, header.size())) continue;
    cells.user = record[cols.user];
    cells.item = record[cols.item];
    cells.event = record[cols.event];
    if (cells.has_value) cells.value = record[cols.value];
    cells.timestamp = record[cols.timestamp];
    if (detail::parse_interaction(cells, Event::View, reader, record.line, sink, raw)) sink.row(raw);
  }
  if (!any) sink.bad_row(DataError(reader.file_name(), 0, "", "no interaction rows after the header"), "empty_file");
}

}  // namespace

DatasetSources open_canonical(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors) {
  DatasetSources src;
  src.format = "canonical";
  src.interactions = dir / "interactions.csv";
  detail::require_nonempty_file(src.interactions, "interactions");
  if (std::filesystem::exists(dir / "users.csv"))
    src.users = detail::read_entity_csv(dir / "users.csv", "user_id", CsvOptions{}, errors);
  if (std::filesystem::exists(dir / "items.csv"))
    src.items = detail::read_entity_csv(dir / "items.csv", "item_id", CsvOptions{}, errors);
  src.rating_min = options.rating_min.value_or(1.0f);
  src.rating_max = options.rating_max.value_or(5.0f);
  src.read_interactions = [file = src.interactions](InteractionSink& sink) { read_canonical_interactions(file, sink); };
  return src;
}

}  // namespace hybridrec
