#pragma once
// Helpers shared by the reader_*.cpp files only (not part of the public API).
#include <filesystem>
#include <string>
#include <string_view>

#include "core/csv.h"
#include "data/readers.h"

namespace hybridrec::detail {

// Throws DataError naming `path` when it is missing or has no content.
void require_nonempty_file(const std::filesystem::path& path, std::string_view what);

// Reads a headed entity file (users.csv, items.csv, movies.csv): the id column is
// `id_column`, every other column is an attribute. Duplicate ids and rows with
// the wrong field count go to `errors` (and are dropped).
RawEntityFile read_entity_csv(const std::filesystem::path& path, std::string_view id_column, const CsvOptions& csv,
                              RowErrorHandler& errors);

// Drops rows whose id repeats an earlier one, reporting each as duplicate_id.
void drop_duplicate_ids(RawEntityFile& file, RowErrorHandler& errors);

// "Toy Story (1995)" -> "1995"; "" when the title has no trailing year.
std::string year_from_title(std::string_view title);

// A row-level problem, reported to `errors` (which throws when strict).
inline void report(RowErrorHandler& errors, const CsvReader& reader, std::size_t line, std::string field,
                   const std::string& message, std::string_view code) {
  errors.bad_row(DataError(reader.file_name(), line, std::move(field), message), code);
}

// Reports a broken record (CSV structure or field count); true when it was fine.
bool check_record(RowErrorHandler& errors, const CsvReader& reader, const CsvRecord& record, std::size_t expected,
                  bool allow_more = false);

// Parses the common (user, item, [event], [value], timestamp) cells of one
// interaction row; reports the first problem and returns false.
struct InteractionCells {
  std::string_view user, item, event, value, timestamp;
  bool has_event = false, has_value = false, has_timestamp = true;
  std::string_view user_field = "user_id", item_field = "item_id", event_field = "event", value_field = "value",
                   timestamp_field = "timestamp";
};
bool parse_interaction(const InteractionCells& cells, Event default_event, const CsvReader& reader,
                       std::size_t line, RowErrorHandler& errors, RawInteraction& out);

}  // namespace hybridrec::detail
