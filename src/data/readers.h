#pragma once
// Loading datasets from disk. One entry point, load_dataset(), that recognises
// the layout (our canonical CSV folder, MovieLens 100K / 1M / 10M / latest, or a
// single generic delimited file) and returns a Dataset with dense ids.
//
// The lower layer (open_sources + InteractionSink) streams raw rows with their
// line numbers; load_dataset and validate_dataset are both built on it, so a
// file that loads is exactly a file that validates without errors.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "data/dataset.h"

namespace hybridrec {

struct LoadOptions {
  // auto | canonical | movielens-100k | movielens-1m (also 10M) | movielens-latest | generic
  std::string format = "auto";
  // generic: the delimiter ("," ";" "\t" "|" "::"); empty = detect from the first lines.
  std::string separator;
  // generic: column names (or 0-based indices when header = false). When the
  // default name is absent, common aliases are tried (userId, movieId, rating, ...).
  std::string user_column = "user_id";
  std::string item_column = "item_id";
  std::string value_column = "value";
  std::string timestamp_column = "timestamp";
  std::string event_column = "event";
  bool header = true;  // generic: first line names the columns
  // strict: a malformed row throws DataError(file, line, field, message).
  // Otherwise it is skipped and counted (see LoadStats).
  bool strict = true;
  // Valid rating range for validation; unset = the format's scale (MovieLens
  // 100K/1M: 1-5, latest: 0.5-5, canonical/generic: 1-5).
  std::optional<float> rating_min, rating_max;
  // Sharded loading (dist/sharded_loading.h): with user_shards > 1 only the rows of
  // users whose user_shard_of(raw id) equals user_shard are kept, so a process holds
  // about 1/user_shards of the interactions. Every row's ids are still interned, so
  // the id maps are exactly those of a full load (same dense index on every shard).
  int user_shard = 0, user_shards = 1;
};

// The shard of a raw user id: FNV-1a of its bytes mod shards (stable across runs,
// platforms and file orders).
int user_shard_of(std::string_view user_id, int shards);

// Filled by load_dataset when given: what a non-strict load skipped.
struct LoadStats {
  std::size_t rows_read = 0;
  std::size_t rows_skipped = 0;
  std::vector<std::string> first_problems;  // up to 10 messages
};

Dataset load_dataset(const std::filesystem::path& path, const LoadOptions& options = {}, LoadStats* stats = nullptr);

// The layout load_dataset would use for `path` with format "auto". Throws
// DataError naming the path when nothing matches.
std::string detect_format(const std::filesystem::path& path);

// ---- Lower layer: raw rows with their locations ---------------------------

// One interaction as read, before ids become dense indices. Views are valid
// only during the InteractionSink::row call.
struct RawInteraction {
  std::size_t line = 0;
  std::string_view user, item;
  Event event = Event::View;
  float value = std::numeric_limits<float>::quiet_NaN();
  std::int64_t timestamp = 0;
};

// Receives rows a reader could not use. `code` is a stable machine name
// (malformed_row, missing_field, unknown_event, non_numeric_value, bad_timestamp,
// missing_value, duplicate_id, empty_file, ...). Default: throw (strict loading).
class RowErrorHandler {
 public:
  virtual ~RowErrorHandler() = default;
  virtual void bad_row(const DataError& error, std::string_view code) { throw error; }
};

class InteractionSink : public RowErrorHandler {
 public:
  virtual void row(const RawInteraction& row) = 0;
};

// users.csv / items.csv / u.user / u.item after reading, values as text
// (MovieLens codes already decoded: age_group, genre "Action|Comedy", year).
struct RawEntityFile {
  std::filesystem::path path;
  std::vector<std::string> columns;             // attribute columns, id excluded
  std::vector<std::string> ids;                 // one per row, file order
  std::vector<std::size_t> lines;               // physical line of each row
  std::vector<std::vector<std::string>> values;  // [row][column], "" = missing
};

struct DatasetSources {
  std::string format;
  std::filesystem::path interactions;  // the ratings / interactions file
  std::optional<RawEntityFile> users, items;
  bool explicit_ratings = false;
  float rating_min = 1.0f, rating_max = 5.0f;
  // Streams every interaction row to the sink (bad rows to its bad_row).
  std::function<void(InteractionSink&)> read_interactions;
};

// Resolves the layout and reads the (small) user/item files. Missing required
// files throw DataError naming them; bad entity rows go to `errors`.
DatasetSources open_sources(const std::filesystem::path& path, const LoadOptions& options, RowErrorHandler& errors);

// Attribute columns from text values: a column whose non-empty values all parse
// as numbers is Numeric, otherwise Categorical (multi-valued when a value holds
// '|'). `index_of_row[r]` is the dense entity index of row r; the table is sized to n.
AttributeTable build_attribute_table(const RawEntityFile& file, const std::vector<std::uint32_t>& index_of_row,
                                     std::size_t n);

// Per-format readers (reader_*.cpp), used by open_sources.
DatasetSources open_canonical(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors);
DatasetSources open_movielens_100k(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors);
DatasetSources open_movielens_1m(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors);
DatasetSources open_movielens_latest(const std::filesystem::path& dir, const LoadOptions& options,
                                     RowErrorHandler& errors);
DatasetSources open_generic(const std::filesystem::path& file, const LoadOptions& options, RowErrorHandler& errors);

// Fast parsers shared by the readers.
std::optional<Event> parse_event_fast(std::string_view text);
// Counts '\n' in a file with a plain buffered pass: lets loaders reserve the
// interactions vector exactly instead of growing it (growth peaks at 3x).
std::size_t count_lines(const std::filesystem::path& path);

}  // namespace hybridrec
