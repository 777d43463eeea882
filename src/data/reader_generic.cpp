// A single delimited file (optionally .gz / .xz) whose columns are found by
// data/column_mapping.h; the delimiter is detected when not given.
#include "core/text.h"
#include "data/column_mapping.h"
#include "data/reader_internal.h"

namespace hybridrec {

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
  std::vector<std::string> first_row = first.to_strings();
  for (auto& f : first_row) f = std::string(trim(f));
  const ColumnMap cols = resolve_columns(first_row, options, probe.file_name(), first.line);

  detail::configure_sources(src, cols, options);
  src.read_interactions = [file, csv, cols](InteractionSink& sink) {
    CsvReader reader(file, csv);
    CsvRecord record;
    if (cols.header) reader.next(record);
    detail::RowParser parser(cols);
    RawInteraction raw;
    while (reader.next(record)) {
      if (!detail::check_record(sink, reader, record, cols.width)) continue;
      if (parser.parse([&](int column) { return record[static_cast<std::size_t>(column)]; }, reader.file_name(),
                       record.line, sink, raw))
        sink.row(raw);
    }
  };
  (void)errors;
  return src;
}

}  // namespace hybridrec
