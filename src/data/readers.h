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
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "data/dataset.h"

namespace hybridrec {

struct LoadOptions {
  // auto | canonical | movielens-100k | movielens-1m (also 10M) | movielens-latest | generic | jsonl
  std::string format = "auto";
  // generic: the delimiter ("," ";" "\t" "|" "::"); empty = detect from the first lines.
  std::string separator;
  // Column mapping for generic delimited files and JSON lines (data/column_mapping.h).
  // Each is a header name (case-insensitive) or, for a file without a header, a
  // 1-based position. Empty = the first of the accepted names the header has
  // (user_id, userID, reviewerID, ...; see column_aliases()).
  std::string user_column, item_column, value_column, timestamp_column, event_column;
  // A numeric column that sets each positive's confidence (play counts,
  // quantities, dwell time) instead of being a rating; data.weight_transform
  // turns it into the confidence at load: raw | log1p | binary.
  std::string weight_column;
  std::string weight_transform = "log1p";
  // A column holding train / validation / test for each row (a supplied split).
  std::string split_column;
  // Names by position for a file without a header, e.g. {"user","item","-","-",
  // "rating","time"}: roles user, item, time, rating, weight, event, split; any
  // other name (or "-") is a column that is not used.
  std::vector<std::string> columns;
  // generic: whether the first line names the columns. Unset = yes, unless
  // `columns` is given, columns are named by position, or the first line has no
  // known column name and is all numbers (MovieLens u.data style).
  std::optional<bool> header;
  // A split supplied as files (--split files): each is read with these same
  // options and its rows are marked as that part (Dataset::supplied_part).
  // `split_train` set = this mode; validation may be empty.
  std::filesystem::path split_train, split_validation, split_test;
  // Attribute tables in any delimited layout (--items FILE --item-key COL, --users
  // FILE --user-key COL); they replace a layout's own items/users file. An empty
  // key = the table's first column. Link tables (--item-links FILE): rows (item,
  // value), e.g. one tag per row, each file one multi-valued column named after
  // its value column.
  std::filesystem::path items_file, users_file;
  std::string item_key, user_key;
  std::vector<std::filesystem::path> item_links;
  // Roles of attribute columns by name (case-insensitive): categorical, multi
  // (values split on '|'), multi:SEP (e.g. "multi:;"), numeric, ignore. A column
  // not named here gets an inferred role, printed at load (see infer_role).
  std::map<std::string, std::string> item_roles, user_roles;
  // strict: a malformed row throws DataError(file, line, field, message).
  // Otherwise it is skipped and counted (see LoadStats).
  bool strict = true;
  // Rows to drop (--on-invalid skip): file name -> physical lines that
  // validate_dataset reported errors for.
  std::shared_ptr<const std::map<std::string, std::unordered_set<std::size_t>>> skip_rows;
  // Valid rating range for validation; unset = the format's scale (MovieLens
  // 100K/1M: 1-5, latest: 0.5-5, canonical/generic: 1-5).
  std::optional<float> rating_min, rating_max;
  // Sharded loading (dist/sharded_loading.h): with user_shards > 1 only the rows of
  // users whose user_shard_of(raw id) equals user_shard are kept, so a process holds
  // about 1/user_shards of the interactions. Every row's ids are still interned, so
  // the id maps are exactly those of a full load (same dense index on every shard).
  int user_shard = 0, user_shards = 1;

  bool supplied_split_files() const { return !split_train.empty(); }
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
  // Supplied split column: a SuppliedPart value; kNoPart when absent.
  std::uint8_t part = kNoPart;
  static constexpr std::uint8_t kNoPart = 255;
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
  bool has_timestamps = true;  // false: no time column (timestamps are 0, not checked)
  bool weighted = false;       // values are raw weights (checked finite and >= 0), not ratings
  bool has_split_column = false;  // rows carry RawInteraction::part
  // Streams every interaction row to the sink (bad rows to its bad_row).
  std::function<void(InteractionSink&)> read_interactions;
};

// Resolves the layout and reads the (small) user/item files. Missing required
// files throw DataError naming them; bad entity rows go to `errors`.
DatasetSources open_sources(const std::filesystem::path& path, const LoadOptions& options, RowErrorHandler& errors);

// Attribute columns from text values, each by its role in `roles` (name ->
// categorical | multi[:SEP] | numeric | ignore) or, when not named there, the
// inferred one: numeric when every non-empty value is a number, multi when a
// value holds '|', ignore for a nearly unique text column (a name, a URL: one
// value per entity teaches nothing), categorical otherwise. `notes` (optional)
// receives one line per column saying its role and why.
// `index_of_row[r]` is the dense entity index of row r; the table is sized to n.
AttributeTable build_attribute_table(const RawEntityFile& file, const std::vector<std::uint32_t>& index_of_row,
                                     std::size_t n, const std::map<std::string, std::string>& roles = {},
                                     std::vector<std::string>* notes = nullptr);

// Reads an attribute table in any delimited layout: the key column is `key`
// (header name or 1-based position; empty = the first column), every other
// column an attribute.
RawEntityFile read_attribute_file(const std::filesystem::path& path, const std::string& key, RowErrorHandler& errors);

// Adds each link table (rows: entity, value; with or without a header) to `file`
// as one multi-valued column ("a|b|c" per entity), entities absent from `file`
// appended as new rows.
void add_link_tables(RawEntityFile& file, const std::vector<std::filesystem::path>& links, RowErrorHandler& errors);

// Per-format readers (reader_*.cpp), used by open_sources.
DatasetSources open_canonical(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors);
DatasetSources open_movielens_100k(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors);
DatasetSources open_movielens_1m(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors);
DatasetSources open_movielens_latest(const std::filesystem::path& dir, const LoadOptions& options,
                                     RowErrorHandler& errors);
DatasetSources open_generic(const std::filesystem::path& file, const LoadOptions& options, RowErrorHandler& errors);
DatasetSources open_jsonl(const std::filesystem::path& file, const LoadOptions& options, RowErrorHandler& errors);

// The interaction files a load reads with their supplied part: the split files
// (--split files) in order train, validation, test, or {path, kNoPart}.
std::vector<std::pair<std::filesystem::path, std::uint8_t>> interaction_files(const std::filesystem::path& path,
                                                                               const LoadOptions& options);

// A weight after data.weight_transform (raw | log1p | binary); throws
// ConfigError for another transform name.
float transform_weight(float raw, std::string_view transform);

// Fast parsers shared by the readers.
std::optional<Event> parse_event_fast(std::string_view text);
// Counts '\n' in a file with a plain buffered pass: lets loaders reserve the
// interactions vector exactly instead of growing it (growth peaks at 3x).
std::size_t count_lines(const std::filesystem::path& path);

}  // namespace hybridrec
