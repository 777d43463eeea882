#pragma once
// Helpers shared by the reader_*.cpp files only (not part of the public API).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/csv.h"
#include "data/column_mapping.h"
#include "data/readers.h"

namespace hybridrec::detail {

// Id -> dense index in front of an IdMap for the per-row hot path. IdMap's
// node-based unordered_map costs several cache misses per lookup (measured: 60%
// of a 10M-row load); this flat open-addressing table costs about one. New ids
// are still interned into the IdMap, which stays the source of truth.
class IdCache {
 public:
  explicit IdCache(IdMap& map);
  std::uint32_t intern(std::string_view id);

 private:
  // 16 bytes. Ids up to kInline bytes (most: "u123", "4711") live in the slot,
  // so a hit touches one cache line; longer ones are in arena_ with a hash tag.
  static constexpr std::size_t kInline = 11;
  static constexpr std::uint8_t kLong = 255;
  struct Slot {
    std::uint32_t index = 0;  // dense index + 1; 0 = empty
    std::uint8_t length = 0;  // inline length, or kLong
    char key[kInline] = {};   // inline bytes, or (arena offset, hash tag) when kLong
  };
  static_assert(sizeof(Slot) == 16);
  bool matches(const Slot& slot, std::string_view id, std::uint32_t tag) const;
  void insert(std::uint64_t hash, std::uint32_t index, std::string_view id);
  void place(std::uint64_t hash, const Slot& slot);
  void grow();
  std::string_view key_of(const Slot& slot) const;

  IdMap& map_;
  std::vector<Slot> slots_;
  std::string arena_;
  std::size_t used_ = 0;
};

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
  std::string_view user, item, event, value, timestamp, part;
  bool has_event = false, has_value = false, has_timestamp = true, has_part = false;
  // The value is a weight (play count, quantity): a finite number >= 0, not a rating.
  bool value_is_weight = false;
  std::string_view user_field = "user_id", item_field = "item_id", event_field = "event", value_field = "value",
                   timestamp_field = "timestamp", part_field = "split";
};
bool parse_interaction(const InteractionCells& cells, Event default_event, const std::string& file,
                       std::size_t line, RowErrorHandler& errors, RawInteraction& out);
inline bool parse_interaction(const InteractionCells& cells, Event default_event, const CsvReader& reader,
                              std::size_t line, RowErrorHandler& errors, RawInteraction& out) {
  return parse_interaction(cells, default_event, reader.file_name(), line, errors, out);
}

// What a column map tells the sources: ratings or weights, timestamps, a split column.
void configure_sources(DatasetSources& src, const ColumnMap& columns, const LoadOptions& options);

// One interaction from the cells a ColumnMap picks, for any row layout: `cell(i)`
// returns the text of column i (a CSV field, a JSON value).
class RowParser {
 public:
  explicit RowParser(const ColumnMap& columns);
  RowParser(const RowParser&) = delete;  // cells_ holds views into columns_
  RowParser& operator=(const RowParser&) = delete;
  template <class Cell>
  bool parse(Cell&& cell, const std::string& file, std::size_t line, RowErrorHandler& errors, RawInteraction& out) {
    cells_.user = cell(columns_[ColumnRole::User]);
    cells_.item = cell(columns_[ColumnRole::Item]);
    if (cells_.has_event) cells_.event = cell(columns_[ColumnRole::Event]);
    if (cells_.has_value) cells_.value = cell(value_column_);
    if (cells_.has_timestamp) cells_.timestamp = cell(columns_[ColumnRole::Time]);
    if (cells_.has_part) cells_.part = cell(columns_[ColumnRole::Split]);
    return parse_interaction(cells_, default_event_, file, line, errors, out);
  }

 private:
  ColumnMap columns_;
  InteractionCells cells_;
  int value_column_ = -1;
  Event default_event_ = Event::View;
};

}  // namespace hybridrec::detail
